import SynodCore

/// A node's own monotonic clock, running fast or slow against virtual time by a fixed
/// rate error (drift) in parts per million: local = global + global × ppm / 10⁶.
struct SimulatedClock: Sendable {
    let driftPPM: Int64

    init(driftPPM: Int) { self.driftPPM = Int64(driftPPM) }

    @inline(__always)
    func local(_ global: Instant) -> Instant {
        Instant(nanoseconds: global.nanoseconds + global.nanoseconds * driftPPM / 1_000_000)
    }

    /// The earliest global instant at which this clock reads `local` or later.
    func global(_ local: Instant) -> Instant {
        if local >= .distantFuture { return .distantFuture }
        var g = Instant(nanoseconds: local.nanoseconds * 1_000_000 / (1_000_000 + driftPPM))
        while self.local(g) < local { g.nanoseconds += 1 }
        while g.nanoseconds > 0, self.local(Instant(nanoseconds: g.nanoseconds - 1)) >= local { g.nanoseconds -= 1 }
        return g
    }
}
