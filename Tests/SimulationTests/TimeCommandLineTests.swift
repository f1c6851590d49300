import SynodTestSupport
import Testing

/// `synod scenario run` for the time scenarios, as a user sees it: one verdict line per
/// variant, and exit 0 exactly when every variant got its expected outcome.
@Suite struct TimeCommandLineTests {
    static func synod(_ arguments: [String]) throws -> SynodOutcome {
        let binary = try #require(SynodProcess.binary, Comment(rawValue: SynodProcess.missingBinaryMessage))
        return try SynodProcess.run(binary, arguments)
    }

    static func describe(_ arguments: [String], _ outcome: SynodOutcome) -> Comment {
        "synod \(arguments.joined(separator: " ")) exited \(outcome.status)\n\(outcome.output)\(outcome.errors)"
    }

    @Test func everyVariantGetsItsExpectedOutcomeAndTheCommandExitsZero() throws {
        let arguments = ["scenario", "run", "lww-clock-skew", "--seeds", "2"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 0, Self.describe(arguments, outcome))
        let verdicts = outcome.lines.filter { $0.hasPrefix("variant ") }
        #expect(
            verdicts == [
                "variant lww-clock-skew/wall-clock: expected violation, got violation",
                "variant lww-clock-skew/lamport: expected clean, got clean",
                "variant lww-clock-skew/hybrid: expected clean, got clean",
            ], Self.describe(arguments, outcome))
    }

    /// With ε = 0 the clocks are perfect: no variant can show a violation, and a
    /// demonstration that shows none is a failure.
    @Test func aDemonstrationThatShowsNoViolationExitsOne() throws {
        let arguments = ["scenario", "run", "commit-wait", "--seeds", "1", "--epsilon", "0s"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 1, Self.describe(arguments, outcome))
        #expect(outcome.lines.contains("variant commit-wait/no-wait: expected violation, got clean"))
        #expect(outcome.lines.contains("variant commit-wait/skew-within-bound: expected clean, got clean"))
        #expect(outcome.lines.contains { $0.hasPrefix("| 0s | commit-wait/skew-within-bound |") })
    }

    @Test(arguments: [["--epsilon", "7"], ["--epsilon", "1ms,,2ms"], ["--epsilon", "1s"], ["--seeds", "0"]])
    func badArgumentsExitTwo(extra: [String]) throws {
        let arguments = ["scenario", "run", "commit-wait"] + extra
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 2, Self.describe(arguments, outcome))
    }
}
