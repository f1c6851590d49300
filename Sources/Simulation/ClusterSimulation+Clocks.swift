import SynodCore

/// The servers' clocks, and the fault that breaks the bound they promise.
///
/// Every profile gives each clock a drift within `maxClockDriftPPM`. `swarm` adds skew
/// (offsets up to 50 ms, which a monotonic clock's user must never notice) and lets the
/// seed raise the drift up to the bound Raft's lease assumes (`raft.maxClockDriftPPM`):
/// lease reads must stay linearizable. `clock-bound-broken` cuts the leader off, as
/// `swarm` sometimes does, and makes its clock run slow, or a majority of the others'
/// run fast, far beyond that bound: the others elect a new leader while the old one's
/// lease, by its own clock, still holds.
extension ClusterSimulation {
    static var maxSwarmSkew: TimeSpan { .milliseconds(50) }

    static func makeClocks(
        options: SimulationOptions, seed: UInt64, setup: inout SeededGenerator
    ) -> [SimulatedClock] {
        var drift = Int64(options.maxClockDriftPPM)
        var offsets = [Int64](repeating: 0, count: options.nodes)
        if options.faults == .swarm {
            // A stream of its own, so that the network and faults of a seed stay as they were.
            var clockRandom = SeededGenerator(seed: seed, stream: 6)
            let bound = max(Int64(options.raft.maxClockDriftPPM), drift)
            drift += Int64(clockRandom.next(upperBound: UInt64(bound - drift + 1)))
            offsets = offsets.map { _ in
                Int64(clockRandom.next(upperBound: UInt64(Self.maxSwarmSkew.nanoseconds + 1)))
            }
        }
        return (0..<options.nodes).map { slot in
            SimulatedClock(
                driftPPM: Int(Int64(setup.next(upperBound: UInt64(2 * drift + 1))) - drift), offset: offsets[slot])
        }
    }

    /// Cuts the leader off (a lease matters only to a leader cut off from the rest) and
    /// breaks the clock bound the lease is computed from: either the leader's clock runs
    /// 2–10 times too slow, or a majority of the others' run 2–4 times too fast, for
    /// 100 ms to 1 s. The previous fault's links heal first.
    mutating func injectClockFault() {
        guard faultWindowOpen, let every = plan.clockFaultEvery else { return }
        network.healLinks()
        schedule(at: now + faultRandom.span(every / 4, every * 2), .clockFault)
        guard let current = leader else { return }
        let chosen: [NodeID]
        let ppm: Int64
        if faultRandom.chance(0.5) {
            chosen = [current]
            ppm = -Int64(500_000 + faultRandom.next(upperBound: 400_001 as UInt64))
        } else {
            var others = members.filter { $0 != current }
            others.shuffle(using: &faultRandom)
            chosen = others.prefix(members.count / 2 + 1).sorted()
            ppm = Int64(1_000_000 + faultRandom.next(upperBound: 2_000_001 as UInt64))
        }
        let end = now + faultRandom.span(.milliseconds(100), .seconds(1))
        isolate(current)
        var started: [NodeID] = []
        for id in chosen where clocks[id.rawValue - 1].startBurst(at: now, until: end, ppm: ppm) {
            started.append(id)
        }
        guard !started.isEmpty else { return }
        if trace != nil {
            emit("clocks of \(started.map(\.rawValue)) run at \(100 + ppm / 10_000)% of true rate until t=\(end)")
        }
        // Their next wake-ups move in virtual time.
        for id in started { step(id.rawValue - 1) { node, now, out in node.tick(at: now, into: &out) } }
    }

    /// Cuts the leader off with its clock as slow, and every other clock as fast, as the
    /// lease's drift bound allows, for 100 ms to 1 s: the others may elect anew as soon as
    /// their clocks let them, while the old leader's lease runs on its own slow clock. A
    /// lease computed with the bound stays safe; one that ignores drift does not.
    mutating func injectClockEdge() {
        guard faultWindowOpen, let every = plan.clockEdgeEvery else { return }
        schedule(at: now + edgeRandom.span(every / 4, every * 2), .clockEdge)
        guard let current = leader else { return }
        let bound = Int64(options.raft.maxClockDriftPPM)
        let end = now + edgeRandom.span(.milliseconds(100), .seconds(1))
        let others = members.filter { $0 != current }
        isolate(current)
        schedule(at: end, .rejoin([current], others))
        var started: [NodeID] = []
        for id in members {
            let slot = id.rawValue - 1
            let rate = id == current ? -bound : bound
            if clocks[slot].startBurst(at: now, until: end, ppm: rate - clocks[slot].driftPPM) { started.append(id) }
        }
        if trace != nil {
            emit(
                "clocks at the edge of their bound until t=\(end): \(current) at -\(bound) ppm, the others at +\(bound)"
            )
        }
        for id in started { tickServer(id.rawValue - 1) }
    }
}
