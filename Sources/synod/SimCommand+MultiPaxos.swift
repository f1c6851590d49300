import ArgumentParser
import Simulation

extension SimCommand {
    /// What `synod sim --protocol multipaxos` cannot do: the `--bug` variants are Raft's,
    /// and Multi-Paxos serves reads through the log or by a leader's heartbeat round
    /// (readindex) only, without leases or follower reads.
    func validateMultiPaxos() throws {
        if !bugs.isEmpty {
            throw ValidationError(
                "--bug \(bugs[0].rawValue) is a Raft variant; it does not apply to --protocol multipaxos.")
        }
        if workload == .kv, readMode != .log, readMode != .readindex {
            throw ValidationError(
                "--read-mode \(readMode.rawValue) is Raft-only; --protocol multipaxos reads with log or readindex.")
        }
    }
}
