import Lab
import Paxos
import Raft
import Simulation
import SynodCore
import Testing

/// The liveness stories told to Multi-Paxos, pinned with fixed seeds (1...4 per cell).
@Suite struct MultiPaxosScenarioTests {
    static let seeds: [UInt64] = Array(1...4)

    static func summary(_ name: String, _ elections: ElectionSafeguards) -> ScenarioSummary {
        let runner = ScenarioRunner(elections: elections, consensus: .multiPaxos(PaxosQuorums(nodes: Scenario.servers)))
        return ScenarioSummary(
            scenario: name, elections: elections,
            results: seeds.map { runner.run(ScenarioCatalog.named(name)!, seed: $0) })
    }

    static func replay(_ name: String, _ elections: ElectionSafeguards) -> Comment {
        "replay: swift run -c release synod scenario run \(name) --protocol multipaxos --config \(elections.rawValue) --seeds \(seeds.count)"
    }

    /// Paxos has no election restriction: the stale hub of the star may lead, because
    /// phase 1 brings it every accepted value. Raft rightly refuses it (about 5%).
    @Test func aStaleHubCanLeadBecausePhaseOneRecoversTheLog() {
        let summary = Self.summary("constrained-election", .checkquorum)
        #expect(summary.meanAvailability > 0.8, Self.replay("constrained-election", .checkquorum))
        #expect(summary.safetyViolations.isEmpty)
    }

    /// Without stickiness, servers 4 and 5 of the partial partition keep preparing higher
    /// ballots and depose every leader; with it, the leader stays.
    @Test func stickinessKeepsALeaderUnderAPartialPartition() {
        let plain = Self.summary("partial-partition", .plain)
        let sticky = Self.summary("partial-partition", .checkquorum)
        #expect(sticky.meanAvailability > 0.95, Self.replay("partial-partition", .checkquorum))
        #expect(plain.meanElections > sticky.meanElections)
        #expect(plain.safetyViolations.isEmpty && sticky.safetyViolations.isEmpty)
    }
}
