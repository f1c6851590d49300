/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// Cores receive an `Instant` with every input and answer with the `Instant` at which
/// they next want to be woken. In simulation it is virtual time (per node, drifting);
/// in the server it is the monotonic wall clock. Plain integers keep the hot path cheap.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)
    /// Later than any instant a run reaches; "no wake-up wanted".
    public static let distantFuture = Instant(nanoseconds: .max / 4)

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    public static func - (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public static func - (lhs: Instant, rhs: Instant) -> TimeSpan {
        TimeSpan(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public static func += (lhs: inout Instant, rhs: TimeSpan) { lhs = lhs + rhs }

    /// Seconds with microsecond precision, fixed width: stable in traces.
    public var description: String {
        let micros = (nanoseconds / 1_000).magnitude
        let fraction = String(micros % 1_000_000)
        return (nanoseconds < 0 ? "-" : "") + "\(micros / 1_000_000)."
            + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}

/// A length of time in nanoseconds. Swift's `Duration` is 128 bits wide and slower to
/// add; protocol cores and the simulator add spans millions of times per second.
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = TimeSpan(nanoseconds: 0)

    public static func microseconds(_ value: Int64) -> TimeSpan { TimeSpan(nanoseconds: value * 1_000) }
    public static func milliseconds(_ value: Int64) -> TimeSpan { TimeSpan(nanoseconds: value * 1_000_000) }
    public static func seconds(_ value: Int64) -> TimeSpan { TimeSpan(nanoseconds: value * 1_000_000_000) }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    public static func + (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }
    public static func - (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }
    public static func * (lhs: TimeSpan, rhs: Int64) -> TimeSpan {
        TimeSpan(nanoseconds: lhs.nanoseconds * rhs)
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    /// Parses `250ms`, `10s`, `2m`, `500us`, `3h`: the forms the command line accepts.
    public init?(parsing text: String) {
        let units: [(String, Int64)] = [
            ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
            ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if let whole = Int64(number), whole >= 0 {
                let (product, overflow) = whole.multipliedReportingOverflow(by: scale)
                if overflow { return nil }
                self.init(nanoseconds: product)
                return
            }
            if let real = Double(number), real >= 0, real.isFinite {
                let nanos = (real * Double(scale)).rounded()
                // 2^63 is exactly representable; anything at or above it does not fit.
                guard nanos < 9_223_372_036_854_775_808.0 else { return nil }
                self.init(nanoseconds: Int64(nanos))
                return
            }
            return nil
        }
        return nil
    }

    public var description: String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(nanoseconds)ns"
    }
}
