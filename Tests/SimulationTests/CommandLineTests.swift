import Foundation
import Simulation
import SynodTestSupport
import Testing

/// `synod sim` as a user sees it: the built binary, run as a subprocess. `swift build
/// --build-tests` and `swift test` build it next to the test bundle.
@Suite struct CommandLineTests {
    typealias Outcome = SynodOutcome

    /// Runs `synod` with `arguments`.
    static func synod(_ arguments: [String]) throws -> Outcome {
        let binary = try #require(SynodProcess.binary, Comment(rawValue: SynodProcess.missingBinaryMessage))
        return try SynodProcess.run(binary, arguments)
    }

    static func describe(_ arguments: [String], _ outcome: Outcome) -> Comment {
        "synod \(arguments.joined(separator: " ")) exited \(outcome.status)\n\(outcome.output)\(outcome.errors)"
    }

    @Test func aCleanSweepExitsZeroAndEndsWithTheFixedSummaryLines() async throws {
        let arguments = ["sim", "--seeds", "3", "--faults", "none"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 0, Self.describe(arguments, outcome))
        let lines = outcome.lines
        try #require(lines.count >= 2, Self.describe(arguments, outcome))
        let counters = try #require(
            lines[lines.count - 2].wholeMatch(of: #/events: (\d+), faults: (\d+), commits: (\d+), elections: (\d+)/#),
            Self.describe(arguments, outcome))
        #expect(lines[lines.count - 1] == "seeds: 3, violations: 0", Self.describe(arguments, outcome))

        // The command line runs the same simulations as the library.
        let reports = await sweep(SimulationOptions(faults: .none), seeds: 1...3)
        #expect(Int(counters.output.1) == reports.reduce(0) { $0 + $1.events })
        #expect(Int(counters.output.2) == 0)
        #expect(Int(counters.output.3) == reports.reduce(0) { $0 + $1.commits })
        #expect(Int(counters.output.4) == reports.reduce(0) { $0 + $1.elections })
    }

    @Test func aFailingSeedExitsOneAndItsReplayCommandFailsTheSameWay() async throws {
        let found = try #require(
            await commitPreviousTermFailure.value, "no seed to replay: see CheckerCanFailTests")
        let violation = try #require(found.violation)
        let arguments = ["sim", "--bug", "commit-previous-term", "--seed", "\(found.seed)", "--faults", "swarm"]
        let first = try Self.synod(arguments)
        #expect(first.status == 1, Self.describe(arguments, first))
        #expect(
            first.lines.contains("seed \(found.seed): \(violation)"),
            "the command line should report the library's violation\n\(Self.describe(arguments, first))")

        let replayLine = try #require(
            first.lines.first { $0.hasPrefix("replay: ") }, Self.describe(arguments, first))
        let words = replayLine.split(separator: " ").map(String.init)
        let afterSynod = try #require(words.firstIndex(of: "synod"), "no `synod` in \(replayLine)")
        let replayArguments = Array(words[(afterSynod + 1)...])
        #expect(replayArguments.contains("\(found.seed)"), "\(replayLine)")
        let replay = try Self.synod(replayArguments)
        #expect(replay.status == 1, Self.describe(replayArguments, replay))
        #expect(
            replay.bytes == first.bytes, "the replay printed something else\n\(Self.describe(replayArguments, replay))")
    }

    @Test func anUnknownFaultProfileIsAUsageErrorWithStatusTwo() throws {
        let arguments = ["sim", "--faults", "bogus"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 2, Self.describe(arguments, outcome))
        #expect(outcome.errors.contains("bogus"), Self.describe(arguments, outcome))
    }

    @Test func theSameTracedSeedPrintsTheSameTraceTwice() throws {
        let arguments = ["sim", "--seed", "7", "--faults", "swarm", "--trace", "--duration", "2s"]
        let first = try Self.synod(arguments)
        let second = try Self.synod(arguments)
        #expect(first.status == 0, Self.describe(arguments, first))
        #expect(first.lines.filter { $0.hasPrefix("t=") }.count > 100, Self.describe(arguments, first))
        #expect(first.bytes == second.bytes, "seed 7: two traces differ")
    }
}

/// `synod scenario` as a user sees it.
@Suite struct ScenarioCommandLineTests {
    @Test func scenarioListNamesTheWholeCatalog() throws {
        let outcome = try CommandLineTests.synod(["scenario", "list"])
        #expect(outcome.status == 0)
        for name in [
            "partial-partition", "quorum-loss", "constrained-election", "switch-failure", "disruptive-rejoin",
            "one-way-link", "minority-partition", "leader-isolated", "flapping-link",
        ] {
            #expect(outcome.lines.contains { $0 == name }, "\(name) missing")
        }
    }

    @Test func scenarioRunPrintsAvailabilityFirstAndDrawsATimeline() throws {
        let arguments = ["scenario", "run", "partial-partition", "--config", "plain", "--seeds", "2", "--timeline"]
        let outcome = try CommandLineTests.synod(arguments)
        #expect(outcome.status == 0, CommandLineTests.describe(arguments, outcome))
        let first = outcome.lines.first.map(String.init) ?? ""
        #expect(first.wholeMatch(of: /availability: \d+\.\d%/) != nil, "first line: \(first)")
        #expect(outcome.output.contains(" n1 "), "a lane per server")
    }

    @Test func anUnknownScenarioOrConfigurationIsAUsageError() throws {
        #expect(try CommandLineTests.synod(["scenario", "run", "no-such-story"]).status == 2)
        #expect(try CommandLineTests.synod(["scenario", "run", "quorum-loss", "--config", "raft"]).status == 2)
    }
}
