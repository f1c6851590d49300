/// A Hybrid Clock's timestamp: the highest physical reading known when it was issued,
/// and a logical counter that orders events sharing that reading. Ordered by wall time,
/// then by the counter.
public struct HybridTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var wallTime: WallTime
    public var logical: UInt32

    public init(wallTime: WallTime, logical: UInt32 = 0) {
        self.wallTime = wallTime
        self.logical = logical
    }

    public static let zero = HybridTimestamp(wallTime: .zero)

    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        (lhs.wallTime, lhs.logical) < (rhs.wallTime, rhs.logical)
    }

    /// The smallest timestamp after this one.
    public var next: HybridTimestamp {
        logical == .max
            ? HybridTimestamp(wallTime: wallTime + TimeSpan(nanoseconds: 1))
            : HybridTimestamp(wallTime: wallTime, logical: logical + 1)
    }

    /// `1700000000.000000123,4`: wall seconds, then the counter, as CockroachDB prints them.
    public var description: String { "\(wallTime),\(logical)" }
}
