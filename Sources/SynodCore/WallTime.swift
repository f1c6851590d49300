/// A reading of a physical (wall) clock, in nanoseconds since the Unix epoch.
///
/// Unlike `Instant`, which is one server's monotonic clock and means nothing to another
/// server, a `WallTime` is meant to be compared across servers, and that is exactly
/// where it misleads: two servers' readings differ by their skew, and a reading may jump
/// (an NTP step). The clocks that order events across servers (`HybridClock`,
/// `ClockBound`) take a `WallTime` as input and say what they assume of it.
public struct WallTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = WallTime(nanoseconds: 0)

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: WallTime, rhs: TimeSpan) -> WallTime {
        WallTime(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    public static func - (lhs: WallTime, rhs: TimeSpan) -> WallTime {
        WallTime(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public static func - (lhs: WallTime, rhs: WallTime) -> TimeSpan {
        TimeSpan(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    /// Seconds with nanosecond precision, fixed width: stable in traces.
    public var description: String {
        let nanos = nanoseconds.magnitude
        let fraction = String(nanos % 1_000_000_000)
        return (nanoseconds < 0 ? "-" : "") + "\(nanos / 1_000_000_000)."
            + String(repeating: "0", count: 9 - fraction.count) + fraction
    }
}
