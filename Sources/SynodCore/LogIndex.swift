/// A position in a replicated log. Index 0 is "before the first entry"; real entries
/// start at 1, as in the Raft paper.
public struct LogIndex: Hashable, Comparable, Strideable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static let zero = LogIndex(0)

    public static func < (lhs: LogIndex, rhs: LogIndex) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Compares the raw values (Strideable's default would go through `distance(to:)`).
    public static func == (lhs: LogIndex, rhs: LogIndex) -> Bool { lhs.rawValue == rhs.rawValue }

    public func distance(to other: LogIndex) -> Int { Int(other.rawValue) - Int(rawValue) }

    public func advanced(by n: Int) -> LogIndex { LogIndex(UInt64(Int(rawValue) + n)) }

    public var description: String { String(rawValue) }
}

extension LogIndex: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt64) { self.init(value) }
}
