import KV
import Raft
import SynodCore
import Testing

@testable import Simulation

/// The lease's promise and what happens when the clock bound under it breaks: lease
/// reads stay linearizable under skew and drift within the bound (`swarm`, in
/// `KeyValueTests`), and fail once clocks run far outside it, while ReadIndex, which
/// trusts no clock, stays linearizable under the very same faults.
@Suite struct ClockBoundBrokenTests {
    static func options(_ mode: ReadMode) -> SimulationOptions {
        var options = SimulationOptions(faults: .clockBoundBroken)
        options.workload = KVWorkload(readMode: mode)
        return options
    }

    /// Seeds 1...4: seed 2 shows a stale lease read (and, in 1...8, seed 8 too).
    @Test func leaseReadsFailTheCheckerWhenTheClockBoundBreaks() async throws {
        let options = Self.options(.lease)
        let reports = await sweep(options, seeds: 1...4)
        let failing = try #require(
            reports.first { $0.violation?.invariant == "linearizability" },
            "no seed in 1...4 caught a stale lease read under clock-bound-broken")
        #expect(reports.allSatisfy { $0.violation == nil || $0.violation?.invariant == "linearizability" })
        var again = Simulation(options: options, seed: failing.seed)
        #expect(again.run().violation == failing.violation, "the seed replays")
    }

    @Test func readIndexTrustsNoClockAndStaysLinearizable() async {
        let options = Self.options(.readindex)
        expectNoViolations(await sweep(options, seeds: 1...4), options)
    }

    @Test func swarmSkewsTheClocksWithinTheBound() {
        for seed in UInt64(1)...20 {
            let simulation = Simulation(options: SimulationOptions(faults: .swarm), seed: seed)
            let bound = Int64(simulation.options.raft.maxClockDriftPPM)
            #expect(simulation.clocks.allSatisfy { abs($0.driftPPM) <= bound })
            #expect(simulation.clocks.allSatisfy { $0.offset >= 0 && $0.offset <= Simulation.maxSwarmSkew.nanoseconds })
        }
        let skewed = (UInt64(1)...20).contains { seed in
            Set(Simulation(options: SimulationOptions(faults: .swarm), seed: seed).clocks.map(\.offset)).count > 1
        }
        #expect(skewed)
    }
}

@Suite struct SimulatedClockTests {
    /// Seed 9: `global` inverts `local` exactly (the earliest global instant reading at
    /// least a local one), with drift, offset, and a burst fast or slow.
    @Test func globalInvertsLocalAcrossABurst() {
        var random = SeededGenerator(seed: 9)
        for ppm in [Int64(-900_000), -500_000, 1_000_000, 3_000_000] {
            var clock = SimulatedClock(driftPPM: 150, offset: 7_000_000)
            let started = clock.startBurst(
                at: Instant(nanoseconds: 2_000_000), until: Instant(nanoseconds: 9_000_000), ppm: ppm)
            #expect(started)
            var previous = clock.local(.zero)
            for nanoseconds in stride(from: Int64(0), to: 12_000_000, by: 997) {
                let local = clock.local(Instant(nanoseconds: nanoseconds))
                #expect(local >= previous, "monotonic")
                previous = local
            }
            for _ in 0..<500 {
                let target = Instant(nanoseconds: 7_000_000 + Int64(random.next(upperBound: 20_000_000 as UInt64)))
                let global = clock.global(target)
                #expect(clock.local(global) >= target)
                #expect(global.nanoseconds == 0 || clock.local(Instant(nanoseconds: global.nanoseconds - 1)) < target)
            }
        }
    }

    @Test func aSecondBurstWaitsForTheFirstAndKeepsTheReadingContinuous() {
        var clock = SimulatedClock(driftPPM: 0)
        let first = clock.startBurst(at: Instant(nanoseconds: 100), until: Instant(nanoseconds: 200), ppm: 1_000_000)
        let overlapping = clock.startBurst(
            at: Instant(nanoseconds: 150), until: Instant(nanoseconds: 300), ppm: 1_000_000)
        #expect(first && !overlapping)
        let before = clock.local(Instant(nanoseconds: 250))
        #expect(before == Instant(nanoseconds: 350), "100 ns at double speed gained 100 ns")
        let second = clock.startBurst(at: Instant(nanoseconds: 250), until: Instant(nanoseconds: 400), ppm: -500_000)
        #expect(second)
        #expect(clock.local(Instant(nanoseconds: 250)) == before)
        #expect(clock.local(Instant(nanoseconds: 350)) == Instant(nanoseconds: 400), "then half speed")
    }
}
