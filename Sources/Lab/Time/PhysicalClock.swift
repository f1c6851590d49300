import SynodCore

/// A server's physical (wall) clock in a time scenario: true time, which is the run's
/// virtual time, read through an offset and a drift, and, when the bound is broken, a
/// step at some instant (an NTP step or a clock that ran away). Within the bound, the
/// reading stays within ε of true time for the whole run.
public struct PhysicalClock: Sendable, Hashable {
    /// Where true time zero falls on the wall: any fixed epoch makes readings look real.
    public static let epoch = WallTime(nanoseconds: 1_700_000_000_000_000_000)

    public var offset: TimeSpan
    /// Rate error in parts per million: a positive drift runs fast.
    public var driftPPM: Int64
    /// From `step.at` on, the reading is off by `step.by` more.
    public var step: Step?

    public struct Step: Sendable, Hashable {
        public var at: Instant
        public var by: TimeSpan

        public init(at: Instant, by: TimeSpan) {
            self.at = at
            self.by = by
        }
    }

    public init(offset: TimeSpan = .zero, driftPPM: Int64 = 0, step: Step? = nil) {
        self.offset = offset
        self.driftPPM = driftPPM
        self.step = step
    }

    /// The reading at true time `now`.
    public func read(_ now: Instant) -> WallTime {
        var nanoseconds = now.nanoseconds + now.nanoseconds * driftPPM / 1_000_000 + offset.nanoseconds
        if let step, now >= step.at { nanoseconds += step.by.nanoseconds }
        return Self.epoch + TimeSpan(nanoseconds: nanoseconds)
    }

    /// True time at `now`, on the wall: what a perfect clock would read.
    public static func truth(_ now: Instant) -> WallTime { epoch + TimeSpan(nanoseconds: now.nanoseconds) }

    /// How much true time passes while this clock advances by `local`: a timer set for
    /// `local` on this clock fires after that long (rounded up, never early).
    public func trueSpan(forLocal local: TimeSpan) -> TimeSpan {
        let scaled = (local.nanoseconds * 1_000_000 + (1_000_000 + driftPPM) - 1) / (1_000_000 + driftPPM)
        return TimeSpan(nanoseconds: max(scaled, 0))
    }

    /// A clock whose error stays within `epsilon` of true time for `duration`: a drift of
    /// at most 100 ppm (less when ε is tiny) and an offset using the rest of the bound.
    public static func withinBound(
        _ epsilon: TimeSpan, for duration: TimeSpan, random: inout SeededGenerator
    ) -> PhysicalClock {
        let maxDrift = min(100, epsilon.nanoseconds * 1_000_000 / max(4 * duration.nanoseconds, 1))
        let drift = Int64(random.next(upperBound: UInt64(2 * maxDrift + 1))) - maxDrift
        let room = epsilon.nanoseconds - (abs(drift) * duration.nanoseconds + 999_999) / 1_000_000
        let offset = Int64(random.next(upperBound: UInt64(2 * max(room, 0) + 1))) - max(room, 0)
        return PhysicalClock(offset: TimeSpan(nanoseconds: offset), driftPPM: drift)
    }

    /// The largest distance from true time over `0...duration` (steps included).
    public func maxError(over duration: TimeSpan) -> TimeSpan {
        var instants: [Instant] = [.zero, .zero + duration]
        if let step { instants += [step.at - TimeSpan(nanoseconds: 1), step.at] as [Instant] }
        let errors = instants.filter { $0 >= .zero }.map { abs((read($0) - Self.truth($0)).nanoseconds) }
        return TimeSpan(nanoseconds: errors.max() ?? 0)
    }
}
