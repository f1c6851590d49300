import Foundation
import SynodTestSupport
import Testing

/// `synod serve` and `synod cluster start` take the heartbeat interval and the election
/// timeout; values that would let a few lost heartbeats start an election are refused
/// with exit 2 before anything is created.
@Suite struct TimingCommandLineTests {
    static let serve = [
        "serve", "--id", "1", "--cluster", "1=127.0.0.1:23999", "--data", "/nonexistent/synod-timing",
        "--client-port", "23998",
    ]

    @Test(arguments: [
        (["--heartbeat-interval", "100ms", "--election-timeout", "200ms"], "at least 5 × --heartbeat-interval"),
        (["--heartbeat-interval", "0ms"], "'--heartbeat-interval <heartbeat-interval>': must be a span above 0"),
        (["--election-timeout", "200ms"], "at least 5 × --heartbeat-interval (250ms)"),
    ])
    func timingThatInvitesSpuriousElectionsIsRefused(flags: [String], message: String) throws {
        for command in [Self.serve, ["cluster", "start", "--dir", "/nonexistent/synod-timing"]] {
            let arguments = command + flags
            let outcome = try CommandLineTests.synod(arguments)
            #expect(outcome.status == 2, CommandLineTests.describe(arguments, outcome))
            #expect(outcome.errors.contains(message), CommandLineTests.describe(arguments, outcome))
        }
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/synod-timing"))
    }

    @Test func bothCommandsDocumentTheTimingFlags() throws {
        for command in [["serve", "--help"], ["cluster", "start", "--help"]] {
            let outcome = try CommandLineTests.synod(command)
            #expect(outcome.status == 0, CommandLineTests.describe(command, outcome))
            #expect(outcome.output.contains("--heartbeat-interval"), CommandLineTests.describe(command, outcome))
            #expect(outcome.output.contains("--election-timeout"), CommandLineTests.describe(command, outcome))
            // The server's defaults, chosen under load (docs/protocol.md#timing): 1:10 as in the simulator.
            let help = outcome.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(help.contains("(default: 50ms)"), CommandLineTests.describe(command, outcome))
            #expect(help.contains("(default: 500ms)"), CommandLineTests.describe(command, outcome))
        }
    }
}

/// Cluster sizes the checkers cannot track are refused up front (exit 2), not by a trap.
@Suite struct NodeCountCommandLineTests {
    @Test(arguments: [
        ["sim", "--nodes", "65", "--seeds", "1"],
        ["sim", "--protocol", "multipaxos", "--nodes", "65", "--seeds", "1"],
        ["compare", "--nodes", "65", "--seeds", "1"],
        ["sim", "--nodes", "0", "--seeds", "1"],
    ])
    func anOutOfRangeClusterSizeExitsTwoWithItsReason(arguments: [String]) throws {
        let outcome = try CommandLineTests.synod(arguments)
        #expect(outcome.status == 2, CommandLineTests.describe(arguments, outcome))
        #expect(outcome.errors.contains("'--nodes <nodes>'"), CommandLineTests.describe(arguments, outcome))
        #expect(outcome.errors.contains("must be a whole number 1...64"), CommandLineTests.describe(arguments, outcome))
    }
}
