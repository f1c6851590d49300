import Lab
import Raft
import Simulation
import SynodCore
import Testing

/// The literature's claims about leader election under partial connectivity, pinned
/// with fixed seeds (1...8 per cell). Every run also checks every safety invariant.
@Suite struct ScenarioOutcomeTests {
    static let seeds: [UInt64] = Array(1...8)

    static func summary(_ name: String, _ elections: ElectionSafeguards) -> ScenarioSummary {
        let scenario = ScenarioCatalog.named(name)!
        let runner = ScenarioRunner(elections: elections)
        return ScenarioSummary(
            scenario: name, elections: elections, results: seeds.map { runner.run(scenario, seed: $0) })
    }

    static func replay(_ name: String, _ elections: ElectionSafeguards) -> Comment {
        "replay: swift run -c release synod scenario run \(name) --config \(elections.rawValue) --seeds \(seeds.count)"
    }

    @Test func plainRaftStallsUnderAPartialPartitionAndTheDefaultDoesNot() {
        let plain = Self.summary("partial-partition", .plain)
        let safeguarded = Self.summary("partial-partition", .prevoteCheckquorum)
        #expect(plain.meanAvailability < 0.7, Self.replay("partial-partition", .plain))
        #expect(plain.meanElections > 20, "4 and 5 keep deposing leaders")
        #expect(safeguarded.meanAvailability > plain.meanAvailability + 0.25)
        #expect(safeguarded.meanElections < 3)
    }

    @Test func preVoteAloneStallsWhenTheLeaderLostItsQuorum() {
        let prevote = Self.summary("quorum-loss", .prevote)
        let both = Self.summary("quorum-loss", .prevoteCheckquorum)
        #expect(prevote.meanAvailability < 0.3, Self.replay("quorum-loss", .prevote))
        #expect(both.meanAvailability >= 0.95, Self.replay("quorum-loss", .prevoteCheckquorum))
    }

    @Test(arguments: ScenarioCatalog.all.filter(\.electableMajority).map(\.name))
    func theDefaultStaysAvailableWheneverAMajorityCanElect(name: String) {
        let summary = Self.summary(name, .prevoteCheckquorum)
        #expect(summary.meanAvailability >= 0.95, Self.replay(name, .prevoteCheckquorum))
        #expect(summary.livenessViolations.isEmpty, Self.replay(name, .prevoteCheckquorum))
    }

    @Test func noConfigurationElectsAStaleHub() {
        for elections in ElectionSafeguards.allCases {
            let summary = Self.summary("constrained-election", elections)
            #expect(summary.meanAvailability < 0.2, Self.replay("constrained-election", elections))
        }
    }

    @Test func preVoteKeepsAnIsolatedServersTermFromInflating() {
        let plain = Self.summary("disruptive-rejoin", .plain)
        let prevote = Self.summary("disruptive-rejoin", .prevote)
        #expect(plain.meanMaxTerm > 20, "the isolated server campaigns again and again")
        #expect(prevote.meanMaxTerm < 3, Self.replay("disruptive-rejoin", .prevote))
    }

    @Test(arguments: ElectionSafeguards.allCases)
    func noConfigurationBreaksSafetyInAnyScenario(elections: ElectionSafeguards) {
        for scenario in ScenarioCatalog.all {
            let runner = ScenarioRunner(elections: elections)
            for seed in UInt64(1)...4 {
                let result = runner.run(scenario, seed: seed)
                #expect(
                    result.violation?.kind != .safety,
                    "seed \(seed): \(result.violation.map { "\($0)" } ?? "")\n\(Self.replay(scenario.name, elections))")
            }
        }
    }

    @Test func theTimelineShowsLeadershipMovingAroundWhenPlainRaftStalls() {
        let scenario = ScenarioCatalog.named("partial-partition")!
        let runner = ScenarioRunner(elections: .plain)
        let result = runner.run(scenario, seed: 1, sampleEvery: .milliseconds(20))
        let servers = (1...Scenario.servers).map { NodeID($0) }
        let lines = Timeline.render(result.samples, servers: servers, window: runner.window)
        let lanes = lines.filter { line in servers.contains { line.hasPrefix(" \($0) ") } }
        #expect(lanes.count == servers.count)
        let leaders = lanes.filter { $0.contains("L") }
        #expect(leaders.count >= 2, "leadership changes hands:\n\(lines.joined(separator: "\n"))")
        #expect(lanes.contains { $0.contains("C") }, "candidates show up")
        #expect(lines.contains { $0.contains("░") }, "cut links are drawn")
    }

    @Test func everyScenarioHasAUniqueNameAndAStory() {
        let names = ScenarioCatalog.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 9)
        for scenario in ScenarioCatalog.all { #expect(scenario.story.count > 80, "\(scenario.name)") }
    }
}
