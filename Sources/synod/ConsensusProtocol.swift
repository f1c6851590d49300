import ArgumentParser
import Paxos

/// The `--protocol` choices: which consensus core the simulator runs.
enum ConsensusProtocol: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Raft: a replicated log with a strong leader (the default).
    case raft
    /// Multi-Paxos: a replicated log, phase 1 once per leader, phase 2 per slot.
    case multipaxos
    /// Single-decree Paxos: many independent instances, each agreeing on one value.
    case paxos
}

/// The Paxos quorum flags shared by the commands that run Paxos.
struct PaxosQuorumOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Paxos phase-1 (prepare) quorum size; default a majority. Q1 + Q2 must exceed the node count.",
        transform: Limit.whole(1...64, why: " and at most the node count"))
    var phase1Quorum: Int?

    @Option(
        parsing: .unconditional, help: "Paxos phase-2 (accept) quorum size; default a majority.",
        transform: Limit.whole(1...64, why: " and at most the node count"))
    var phase2Quorum: Int?

    /// The checked quorum sizes for `nodes`, or a usage error (exit 2) that says why not.
    func quorums(nodes: Int) throws -> PaxosQuorums {
        for (name, size) in [("--phase1-quorum", phase1Quorum), ("--phase2-quorum", phase2Quorum)] {
            if let size, !(1...nodes).contains(size) {
                throw ValidationError("\(name) must be 1...\(nodes) with \(nodes) nodes.")
            }
        }
        do {
            return try PaxosQuorums(nodes: nodes, phase1: phase1Quorum, phase2: phase2Quorum)
        } catch {
            throw ValidationError("Bad Paxos quorums: \(error).")
        }
    }

    /// Rejects quorum flags given to a protocol that has no phases.
    func validate(for consensus: ConsensusProtocol, nodes: Int) throws {
        if consensus == .raft {
            if phase1Quorum != nil || phase2Quorum != nil {
                throw ValidationError("--phase1-quorum and --phase2-quorum need --protocol paxos or multipaxos.")
            }
        } else {
            _ = try quorums(nodes: nodes)
        }
    }
}
