import SynodCore

/// A node's own monotonic clock, running fast or slow against virtual time by a fixed
/// rate error (drift) in parts per million, and set apart from the others by an offset
/// (skew): local = global + global × ppm / 10⁶ + offset. A burst (the clock-bound-broken
/// fault) makes it run far faster than its bound for a stretch.
struct SimulatedClock: Sendable {
    let driftPPM: Int64
    /// Added to every reading, in nanoseconds.
    var offset: Int64 = 0
    /// A stretch of global time during which the clock gains `ppm` more.
    var burst: Burst?

    struct Burst: Sendable {
        var start: Instant
        var end: Instant
        var ppm: Int64
    }

    init(driftPPM: Int, offset: Int64 = 0) {
        self.driftPPM = Int64(driftPPM)
        self.offset = offset
    }

    @inline(__always)
    func local(_ global: Instant) -> Instant {
        var nanoseconds = global.nanoseconds + global.nanoseconds * driftPPM / 1_000_000 + offset
        if let burst, global > burst.start {
            nanoseconds += (min(global, burst.end).nanoseconds - burst.start.nanoseconds) * burst.ppm / 1_000_000
        }
        return Instant(nanoseconds: nanoseconds)
    }

    /// The earliest global instant at which this clock reads `local` or later.
    func global(_ local: Instant) -> Instant {
        if local >= .distantFuture { return .distantFuture }
        if let burst, local > self.local(burst.start) { return searchGlobal(local, from: burst.start) }
        var g = Instant(nanoseconds: (local.nanoseconds - offset) * 1_000_000 / (1_000_000 + driftPPM))
        while self.local(g) < local { g.nanoseconds += 1 }
        while g.nanoseconds > 0, self.local(Instant(nanoseconds: g.nanoseconds - 1)) >= local { g.nanoseconds -= 1 }
        return g
    }

    /// Binary search past a burst's start, where the reading is piecewise linear.
    private func searchGlobal(_ local: Instant, from start: Instant) -> Instant {
        var low = start.nanoseconds  // reads below `local`
        var high = max((local.nanoseconds - offset) * 1_000_000 / (1_000_000 + driftPPM), low) + 1
        while self.local(Instant(nanoseconds: high)) < local { high += high - low }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if self.local(Instant(nanoseconds: middle)) >= local { high = middle } else { low = middle }
        }
        return Instant(nanoseconds: high)
    }

    /// Starts a burst at `now` unless one is under way; an ended burst's gain moves into
    /// the offset first, so the reading never jumps.
    mutating func startBurst(at now: Instant, until end: Instant, ppm: Int64) -> Bool {
        if let burst {
            guard burst.end <= now else { return false }
            offset += (burst.end.nanoseconds - burst.start.nanoseconds) * burst.ppm / 1_000_000
        }
        burst = Burst(start: now, end: end, ppm: ppm)
        return true
    }
}
