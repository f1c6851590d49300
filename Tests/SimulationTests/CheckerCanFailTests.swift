import Raft
import Simulation
import SynodCore
import Testing

/// A checker that never fires proves nothing. Deliberately broken Raft variants and a
/// cluster that cannot recover must be caught, and a failing seed must replay to
/// exactly the same violation.
@Suite struct CheckerCanFailTests {
    @Test func committingAnEarlierTermsEntryByCountingIsCaughtAndTheSeedReplaysExactly() async throws {
        let options = commitPreviousTermOptions
        let found = try #require(
            await commitPreviousTermFailure.value,
            """
            no swarm seed in \(commitPreviousTermSeeds) broke safety with --bug commit-previous-term: \
            the checker or the fault mix misses the Raft paper's Figure 8
            """)
        let seed = found.seed
        let violation = try #require(found.violation)
        func message(_ what: String, _ violation: Violation? = nil) -> Comment {
            failureMessage(seed: seed, options: options, what, violation: violation)
        }
        // Figure 8: an entry counted as committed is missing from a server that can
        // still win an election, or is then overwritten.
        #expect(violation.kind == .safety, message("expected a safety violation", violation))
        #expect(
            ["leader-completeness", "state-machine-safety"].contains(violation.invariant),
            message("an unexpected invariant", violation))

        var again = Simulation(options: options, seed: seed)
        let replay = again.run()
        #expect(
            replay.violation?.invariant == violation.invariant && replay.violation?.event == violation.event,
            message("the first run found: \(violation)\nthe replay found", replay.violation))
        #expect(replay.violation == violation, message("the replay's violation differs in time or detail"))
        #expect(replay.events == found.events, message("the replay ran \(replay.events) events, not \(found.events)"))

        // The same seed without the bug is clean: the bug, not the scenario, broke safety.
        let correctOptions = SimulationOptions(faults: .swarm)
        var correct = Simulation(options: correctOptions, seed: seed)
        let clean = correct.run()
        #expect(
            clean.violation == nil,
            failureMessage(
                seed: seed, options: correctOptions, "the correct Raft failed too", violation: clean.violation))
    }

    @Test func grantingAVoteBeforeItIsOnDiskIsCaughtAsABrokenPromise() {
        var options = SimulationOptions(faults: .swarm)
        options.raft.bugs = [.noSyncBeforeVote]
        let seed: UInt64 = 1
        var simulation = Simulation(options: options, seed: seed)
        let report = simulation.run()
        #expect(
            report.violation?.kind == .safety && report.violation?.invariant == "persist-before-promise",
            failureMessage(
                seed: seed, options: options, "expected a persist-before-promise violation", violation: report.violation
            ))
    }

    @Test func aClusterThatStaysPartitionedAfterTheHealFailsTheLivenessCheck() {
        let options = SimulationOptions(faults: .none)
        let seed: UInt64 = 1
        func message(_ what: String, _ violation: Violation? = nil) -> Comment {
            failureMessage(seed: seed, options: options, what, violation: violation, scripted: true)
        }
        var simulation = Simulation(options: options, seed: seed)
        simulation.run(until: options.healTime)
        // Right after the heal, every server loses every link: no majority anywhere.
        for id in simulation.members { simulation.isolate(id) }
        let report = simulation.run()

        let violation = report.violation
        #expect(
            violation?.kind == .liveness && violation?.invariant == "liveness",
            message("expected a liveness violation", violation))
        #expect(
            violation?.time == options.healTime + options.livenessBound,
            message("the liveness check should fire at its deadline", violation))
        #expect(report.recoveryTime == nil, message("a recovery time without a recovery"))

        // Left connected, the same seed recovers well within the bound.
        var healthy = Simulation(options: options, seed: seed)
        let clean = healthy.run()
        #expect(
            clean.violation == nil,
            failureMessage(seed: seed, options: options, "a healthy cluster failed", violation: clean.violation))
        #expect(
            clean.recoveryTime.map { $0 < options.livenessBound } == true,
            failureMessage(
                seed: seed, options: options,
                "no recovery time within the bound: \(clean.recoveryTime, default: "none")"))
    }

    @Test func withoutClientsTheSimulatorsOwnProbeMeetsTheLivenessCheck() {
        // The liveness check proposes after the heal itself, so it does not depend on
        // the workload: a cluster with no clients at all still passes it.
        let options = SimulationOptions(faults: .none, proposalsPerSecond: 0)
        let seed: UInt64 = 1
        func message(_ what: String, _ violation: Violation? = nil) -> Comment {
            failureMessage(seed: seed, options: options, what, violation: violation)
        }
        var simulation = Simulation(options: options, seed: seed)
        let report = simulation.run()
        #expect(report.violation == nil, message("a cluster without clients failed", report.violation))
        #expect(
            (1...5).contains(report.commits),
            message("\(report.commits) commands committed; only the probe's few should have"))
        #expect(
            report.recoveryTime.map { $0 < options.livenessBound } == true,
            message("no recovery time within the bound: \(report.recoveryTime, default: "none")"))
    }
}
