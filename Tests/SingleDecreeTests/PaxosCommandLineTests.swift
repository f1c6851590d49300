import Foundation
import SynodTestSupport
import Testing

/// `synod sim --protocol paxos` and `synod scenario run dueling-proposers` as a user
/// sees them: exit codes, the closing lines, and replay commands that replay.
@Suite struct PaxosCommandLineTests {
    static func synod(_ arguments: [String]) throws -> SynodOutcome {
        let binary = try #require(SynodProcess.binary, Comment(rawValue: SynodProcess.missingBinaryMessage))
        return try SynodProcess.run(binary, arguments)
    }

    static func describe(_ arguments: [String], _ outcome: SynodOutcome) -> Comment {
        "synod \(arguments.joined(separator: " ")) exited \(outcome.status)\n\(outcome.output)\(outcome.errors)"
    }

    @Test func aCleanSweepExitsZeroWithTheClosingLinesOfRaft() throws {
        let arguments = ["sim", "--protocol", "paxos", "--seeds", "4", "--faults", "swarm"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 0, Self.describe(arguments, outcome))
        let lines = outcome.lines
        try #require(lines.count >= 2, Self.describe(arguments, outcome))
        #expect(
            lines[lines.count - 2].wholeMatch(of: #/events: \d+, faults: \d+, commits: 160, elections: \d+/#) != nil,
            Self.describe(arguments, outcome))
        #expect(lines[lines.count - 1] == "seeds: 4, violations: 0", Self.describe(arguments, outcome))
    }

    @Test(arguments: [
        ("ignore-accepted", SingleDecreeBugSeeds.ignoreAccepted),
        ("reply-before-persist", SingleDecreeBugSeeds.replyBeforePersist),
    ])
    func aBrokenVariantExitsOneAndItsReplayFailsTheSameWay(bug: String, seed: UInt64) throws {
        let arguments = ["sim", "--protocol", "paxos", "--bug", bug, "--seed", "\(seed)", "--faults", "swarm"]
        let first = try Self.synod(arguments)
        #expect(first.status == 1, Self.describe(arguments, first))
        #expect(first.lines.contains { $0.hasPrefix("seed \(seed): safety violation: agreement") })
        let replayLine = try #require(first.lines.first { $0.hasPrefix("replay: ") }, Self.describe(arguments, first))
        let words = replayLine.split(separator: " ").map(String.init)
        let afterSynod = try #require(words.firstIndex(of: "synod"), "no `synod` in \(replayLine)")
        let replayArguments = Array(words[(afterSynod + 1)...])
        #expect(replayArguments.contains("--bug") && replayArguments.contains(bug), "\(replayLine)")
        let replay = try Self.synod(replayArguments)
        #expect(replay.status == 1, Self.describe(replayArguments, replay))
        #expect(replay.bytes == first.bytes, Self.describe(replayArguments, replay))
    }

    @Test(arguments: [
        ["sim", "--protocol", "paxos", "--nodes", "5", "--phase1-quorum", "2", "--phase2-quorum", "3"],
        ["sim", "--protocol", "paxos", "--bug", "commit-previous-term"],
        ["sim", "--bug", "ignore-accepted"],
        ["sim", "--protocol", "paxos", "--workload", "kv"],
        ["sim", "--protocol", "paxos", "--faults", "disk-majority"],
    ])
    func badArgumentsExitTwo(arguments: [String]) throws {
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 2, Self.describe(arguments, outcome))
        #expect(!outcome.errors.isEmpty, Self.describe(arguments, outcome))
    }

    @Test func theDuelingProposersScenarioShowsBothOutcomes() throws {
        let arguments = ["scenario", "run", "dueling-proposers", "--seeds", "2"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 0, Self.describe(arguments, outcome))
        #expect(
            outcome.lines.contains {
                $0.hasPrefix("variant dueling-proposers/no-backoff: expected livelock, got livelock")
            },
            Self.describe(arguments, outcome))
        #expect(
            outcome.lines.contains {
                $0.hasPrefix("variant dueling-proposers/randomized-backoff: expected chosen, got chosen")
            }, Self.describe(arguments, outcome))
        #expect(
            outcome.lines.contains {
                $0.hasPrefix("variant dueling-proposers/stable-leader: expected chosen, got chosen")
            }, Self.describe(arguments, outcome))
    }
}
