/// Names one write a core asked its driver to make durable. Writes are numbered in
/// the order they were asked for; the driver reports "synced through id N", which
/// covers N and every earlier write (an fsync covers everything written before it).
public struct PersistID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static let none = PersistID(0)

    public var next: PersistID { PersistID(rawValue + 1) }

    public static func < (lhs: PersistID, rhs: PersistID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "w\(rawValue)" }
}
