import Checker
import KV
import Simulation
import SynodCore
import Testing

/// The key-value workload under swarm faults: every linearizable read path gives a
/// linearizable history on every seed; follower reads do not; retries apply once.
@Suite struct KeyValueTests {
    static func options(_ mode: ReadMode, faults: FaultProfile = .swarm) -> SimulationOptions {
        var options = SimulationOptions(faults: faults)
        options.workload = KVWorkload(readMode: mode)
        return options
    }

    @Test(arguments: [ReadMode.log, .readindex, .lease, .followerReadindex])
    func everyLinearizableReadPathPassesTheCheckerUnderSwarmFaults(mode: ReadMode) async {
        let options = Self.options(mode)
        let reports = await sweep(options, seeds: 1...60)
        expectNoViolations(reports, options)
        // The harshest seeds (a server refused for corruption, others rejoining without a vote,
        // skewed clocks, new leaders crashed with the servers their entries reached cut
        // off) still serve hundreds of operations (311 at the fewest); an idle cluster
        // serves none.
        #expect(reports.allSatisfy { $0.operations > 250 }, "the clients made progress")
        #expect(reports.contains { !$0.readLatencies.isEmpty })
    }

    @Test func followerReadsProduceAHistoryTheCheckerRejects() async throws {
        let options = Self.options(.follower)
        let reports = await sweep(options, seeds: 1...10)
        let failing = try #require(reports.first { $0.violation?.invariant == "linearizability" })
        // The seed names the run: replaying it gives the same verdict.
        var again = Simulation(options: options, seed: failing.seed)
        let replay = again.run()
        #expect(replay.violation == failing.violation, failureMessage(seed: failing.seed, options: options, "replay"))
        #expect(!replay.staleEntries.isEmpty)
    }

    @Test func aRetriedWriteIsAppliedOnce() async {
        // Every append carries a unique suffix: a retry applied twice would show it twice.
        for seed in UInt64(1)...20 {
            var simulation = Simulation(options: Self.options(.readindex), seed: seed)
            _ = simulation.run()
            for operation in simulation.historyOperations where operation.op == .get && operation.status == .ok {
                guard let value = operation.value else { continue }
                let suffixes = value.split(separator: "]").map { $0 + "]" }
                #expect(
                    Set(suffixes).count == suffixes.count,
                    failureMessage(seed: seed, options: Self.options(.readindex), "a suffix appears twice in \(value)"))
            }
        }
    }

    @Test func theHistoryRoundTripsThroughItsFileFormat() throws {
        var simulation = Simulation(options: Self.options(.readindex, faults: .crash), seed: 3)
        _ = simulation.run()
        let history = History(simulation.historyOperations)
        #expect(history.operations.count > 100)
        #expect(try History(parsing: history.jsonLines) == history)
        #expect(LinearizabilityChecker.check(history).violation == nil)
    }
}
