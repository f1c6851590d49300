/// Clock-Bound Wait, after Spanner's TrueTime: a physical clock whose error is bounded,
/// so that `now` is an interval certain to contain true time, and a writer that waits
/// out the uncertainty before it makes a timestamp visible.
///
/// A transaction takes `now(physical:).latest` as its timestamp `s`, then waits until
/// `now(physical:).earliest > s` (commit wait): by then true time has certainly passed
/// `s`, so any transaction that starts afterwards, on any server whose clock keeps the
/// same bound, takes a higher timestamp. The core cannot sleep: `commitWait` says how
/// long, on the local clock, and the driver waits and asks again.
///
/// ```swift
/// let bound = ClockBound(epsilon: .milliseconds(7))
/// let s = bound.now(physical: wall).latest
/// // ... replicate, then:
/// let wait = bound.commitWait(until: s, physical: wall)   // .zero once s has passed
/// ```
public struct ClockBound: Hashable, Sendable {
    /// The clock's largest error either way: true time is within ε of the reading.
    public let epsilon: TimeSpan

    public init(epsilon: TimeSpan) {
        precondition(epsilon >= .zero, "a clock bound cannot be negative")
        self.epsilon = epsilon
    }

    /// The interval that contains true time when the local clock reads `physical`.
    public func now(physical: WallTime) -> UncertaintyInterval {
        UncertaintyInterval(earliest: physical - epsilon, latest: physical + epsilon)
    }

    /// Whether true time has certainly passed `timestamp` (TrueTime's `after`).
    public func hasPassed(_ timestamp: WallTime, physical: WallTime) -> Bool {
        now(physical: physical).earliest > timestamp
    }

    /// How much longer, on the local clock, until `earliest` passes `timestamp`; zero
    /// once it has. A clock that steps back after the wait makes the driver wait again.
    public func commitWait(until timestamp: WallTime, physical: WallTime) -> TimeSpan {
        let earliest = now(physical: physical).earliest
        return earliest > timestamp ? .zero : timestamp - earliest + TimeSpan(nanoseconds: 1)
    }
}

/// TrueTime's `TTinterval`: true time lies in `earliest...latest`, if the bound holds.
public struct UncertaintyInterval: Hashable, Sendable, CustomStringConvertible {
    public var earliest: WallTime
    public var latest: WallTime

    public init(earliest: WallTime, latest: WallTime) {
        precondition(earliest <= latest, "an interval's earliest cannot be after its latest")
        self.earliest = earliest
        self.latest = latest
    }

    public func contains(_ time: WallTime) -> Bool { earliest <= time && time <= latest }

    public var description: String { "[\(earliest), \(latest)]" }
}
