import Paxos
import Raft
import Simulation
import SynodCore
import Testing

/// Bugs that only the targeted faults find: each named seed fails with the bug on its
/// profile, and the same seed is clean without it. A change to the fault plans that
/// stops finding them shows here first (`synod bench bugs` gives the rates).
@Suite struct TargetedFaultTests {
    /// A Multi-Paxos leader that sent its first Accepts before its own promise was on
    /// disk crashes; the servers that took them are cut off, it returns, derives the same
    /// ballot from its disk and proposes other values in it.
    @Test func aBallotReusedAfterACrashIsCaught() {
        var options = SimulationOptions(faults: .swarm, proposalsPerSecond: 1_000)
        options.consensus = .multiPaxos(PaxosQuorums(nodes: options.nodes))
        var buggy = options
        buggy.multiPaxos.bugs = [.prepareBeforePromiseSynced]
        expectCaught(seed: 29, buggy: buggy, correct: options, invariant: "ballot-uniqueness")
    }

    /// Clocks at the edge of the drift bound: the old leader's slow clock still counts its
    /// lease when a lease taken for the whole election timeout has run out in truth.
    @Test func aLeaseThatIgnoresClockDriftServesAStaleRead() {
        var options = SimulationOptions(faults: .swarm)
        options.workload = KVWorkload(readMode: .lease)
        options.raft.maxClockDriftPPM = 300_000
        var buggy = options
        buggy.raft.bugs = [.leaseIgnoresDrift]
        expectCaught(seed: 26, buggy: buggy, correct: options, invariant: "linearizability")
    }

    private func expectCaught(
        seed: UInt64, buggy: SimulationOptions, correct: SimulationOptions, invariant: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var broken = Simulation(options: buggy, seed: seed)
        let report = broken.run()
        #expect(
            report.violation?.kind == .safety && report.violation?.invariant == invariant,
            failureMessage(
                seed: seed, options: buggy, "expected a \(invariant) violation", violation: report.violation),
            sourceLocation: sourceLocation)
        var fixed = Simulation(options: correct, seed: seed)
        let clean = fixed.run()
        #expect(
            clean.violation == nil,
            failureMessage(seed: seed, options: correct, "the correct variant failed too", violation: clean.violation),
            sourceLocation: sourceLocation)
    }
}
