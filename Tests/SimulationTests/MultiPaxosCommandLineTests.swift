import Foundation
import SynodTestSupport
import Testing

/// `synod sim --protocol multipaxos`, `synod scenario ... --protocol multipaxos` and
/// `synod compare` as a user runs them.
@Suite struct MultiPaxosCommandLineTests {
    static func synod(_ arguments: [String]) throws -> SynodOutcome { try CommandLineTests.synod(arguments) }

    @Test func aCleanMultiPaxosSweepExitsZeroWithTheFixedSummary() throws {
        let arguments = ["sim", "--protocol", "multipaxos", "--seeds", "3", "--faults", "crash", "--workload", "kv"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 0, CommandLineTests.describe(arguments, outcome))
        #expect(outcome.lines.first?.contains("multipaxos (Q1=3, Q2=3 of 5)") == true)
        #expect(outcome.lines.last == "seeds: 3, violations: 0", CommandLineTests.describe(arguments, outcome))
    }

    @Test(arguments: [
        ["sim", "--protocol", "multipaxos", "--nodes", "5", "--phase1-quorum", "2", "--phase2-quorum", "3"],
        ["sim", "--protocol", "multipaxos", "--workload", "kv", "--read-mode", "lease"],
        ["sim", "--protocol", "multipaxos", "--bug", "commit-previous-term"],
        ["compare", "--protocols", "raft,paxos"],
        ["compare", "--phase1-quorum", "1", "--phase2-quorum", "1"],
        ["scenario", "run", "quorum-loss", "--protocol", "paxos"],
    ])
    func badArgumentsExitTwo(arguments: [String]) throws {
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 2, CommandLineTests.describe(arguments, outcome))
    }

    @Test func comparePrintsOneColumnPerProtocol() throws {
        let arguments = ["compare", "--seeds", "1", "--duration", "2s"]
        let outcome = try Self.synod(arguments)
        #expect(outcome.status == 0, CommandLineTests.describe(arguments, outcome))
        #expect(outcome.lines.contains("| measure | raft | multipaxos |"))
        #expect(outcome.lines.contains { $0.hasPrefix("| messages per committed command (swarm) |") })
        #expect(outcome.lines.contains { $0.hasPrefix("| constrained-election |") })
    }
}
