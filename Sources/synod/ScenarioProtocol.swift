import ArgumentParser
import Lab
import Paxos
import Raft
import Simulation

/// `--protocol` for `synod scenario run` and `matrix`: the liveness stories are told the
/// same way to a Raft or a Multi-Paxos cluster.
struct ScenarioProtocolOptions: ParsableArguments {
    @Option(help: "The consensus protocol: raft or multipaxos.")
    var `protocol`: ConsensusProtocol = .raft

    @OptionGroup var quorums: PaxosQuorumOptions

    func validate() throws {
        if `protocol` == .paxos {
            throw ValidationError("The scenarios need a replicated log: --protocol raft or multipaxos.")
        }
        try quorums.validate(for: `protocol`, nodes: Scenario.servers)
    }

    var consensus: Consensus {
        guard `protocol` == .multipaxos else { return .raft }
        return .multiPaxos((try? quorums.quorums(nodes: Scenario.servers)) ?? PaxosQuorums(nodes: Scenario.servers))
    }

    /// The configurations worth a column: Multi-Paxos has no PreVote, so only CheckQuorum
    /// (leader stickiness with a quorum check) tells its configurations apart.
    var configurations: [ElectionSafeguards] {
        `protocol` == .multipaxos ? [.plain, .checkquorum] : ElectionSafeguards.allCases
    }

    /// The flags that name this protocol again, for the commands printed.
    var flags: String {
        guard `protocol` == .multipaxos else { return "" }
        return " --protocol multipaxos" + (quorums.phase1Quorum.map { " --phase1-quorum \($0)" } ?? "")
            + (quorums.phase2Quorum.map { " --phase2-quorum \($0)" } ?? "")
    }
}
