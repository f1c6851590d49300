import ArgumentParser
import Raft
import Simulation
import SynodCore

// Command-line spellings of the library's value types. They live here, in the
// executable, so the libraries do not depend on ArgumentParser.

extension FaultProfile: ExpressibleByArgument {}

extension RaftBug: ExpressibleByArgument {}

extension TimeSpan: ExpressibleByArgument {
    /// Accepts `250ms`, `10s`, `1.5s`, `2m`: whatever `TimeSpan(parsing:)` accepts.
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}

extension ElectionSafeguards: ExpressibleByArgument {}

extension ReadMode: ExpressibleByArgument {}

/// The limits of the numeric options, checked as each value is parsed: a value out of
/// range, negative where none may be, too large for its type or not a number is refused
/// (exit 2) before any work, and the message names the option and its limit, as in
/// `The value '65' is invalid for '--nodes <nodes>': must be a whole number 1...64`.
///
/// An option that uses one of these also parses `.unconditional`, so that `--seeds -1`
/// reaches the check instead of reading as a flag (ArgumentParser would say "Missing
/// value for '--seeds <seeds>'").
enum Limit {
    /// The most seeds one command runs: 1...N, at most a million.
    static let seeds = 1...1_000_000
    /// The longest virtual time of one simulated run. With `seeds`, the virtual time of
    /// a whole sweep still fits the 64-bit nanoseconds the summary adds up.
    static let duration = TimeSpan.seconds(3_600)

    /// A whole number in `range`; `why`, if any, follows the limit in the message.
    static func whole<Value: FixedWidthInteger & Sendable>(
        _ range: ClosedRange<Value>, why: String = ""
    ) -> @Sendable (String) throws -> Value {
        { text in
            guard let value = Value(text), range.contains(value) else {
                throw ValidationError("must be a whole number \(range.lowerBound)...\(range.upperBound)\(why)")
            }
            return value
        }
    }

    /// A seed: any 64-bit unsigned number.
    static let seed: @Sendable (String) throws -> UInt64 = whole(0...UInt64.max)

    /// A number in `range`, ends included (not NaN).
    static func number(_ range: ClosedRange<Double>) -> @Sendable (String) throws -> Double {
        { text in
            guard let value = Double(text), range.contains(value) else {
                throw ValidationError("must be a number \(spell(range.lowerBound))...\(spell(range.upperBound))")
            }
            return value
        }
    }

    /// A number of seconds above zero and at most `limit`.
    static func seconds(atMost limit: Double) -> @Sendable (String) throws -> Double {
        { text in
            guard let value = Double(text), value > 0, value <= limit else {
                throw ValidationError("must be a number of seconds above 0 and at most \(spell(limit))")
            }
            return value
        }
    }

    /// A span above zero and at most `limit` (whole hours, minutes or seconds), written
    /// as `TimeSpan(parsing:)` reads it.
    static func span(atMost limit: TimeSpan) -> @Sendable (String) throws -> TimeSpan {
        { text in
            guard let value = TimeSpan(parsing: text), value > .zero, value <= limit else {
                throw ValidationError(
                    "must be a span above 0 and at most \(spell(limit)), such as 250ms, 10s, 1.5s or 2m")
            }
            return value
        }
    }

    /// The ports a server listens on and a client dials.
    static let ports = 1...65_535

    /// A port, 1...65535.
    static let port: @Sendable (String) throws -> Int = whole(ports)

    /// `host:port` with a port in `ports`, as one of the addresses `option` lists; the
    /// message names `option` and the limit. It reads what `parseHostPort` reads.
    static func address(_ text: some StringProtocol, of option: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), colon > text.startIndex else {
            throw ValidationError("\(option): '\(text)' is not host:port")
        }
        guard let port = Int(text[text.index(after: colon)...]), ports.contains(port) else {
            throw ValidationError(
                "\(option): the port of '\(text)' must be a whole number \(ports.lowerBound)...\(ports.upperBound)")
        }
        return (String(text[..<colon]), port)
    }

    /// `1` rather than `1.0`; a fraction as Swift prints it.
    static func spell(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// `1h`, `2m` or `30s` for a whole number of hours, minutes or seconds.
    static func spell(_ span: TimeSpan) -> String {
        let seconds = span.nanoseconds / 1_000_000_000
        if span.nanoseconds % 3_600_000_000_000 == 0 { return "\(seconds / 3_600)h" }
        if span.nanoseconds % 60_000_000_000 == 0 { return "\(seconds / 60)m" }
        return span.description
    }
}
