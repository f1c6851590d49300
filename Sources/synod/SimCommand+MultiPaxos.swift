import ArgumentParser
import Simulation

extension SimCommand {
    /// What `synod sim --protocol multipaxos` cannot do: Multi-Paxos serves reads through
    /// the log or by a leader's heartbeat round (readindex) only, without leases or
    /// follower reads. (Its `--bug` names, none, are checked with the other protocols'.)
    func validateMultiPaxos() throws {
        if workload == .kv, readMode != .log, readMode != .readindex {
            throw ValidationError(
                "--read-mode \(readMode.rawValue) is Raft-only; --protocol multipaxos reads with log or readindex.")
        }
    }
}
