import Foundation
import NIOCore

/// `INFO`: the sections a monitoring tool reads, in Redis's `name:value` lines. Redis
/// names come first where they mean the same (`role`, `process_id`, `db0`), Synod's own
/// fields carry a `synod_` prefix, and a new field goes at the end of its section.
extension ClientHandler {
    /// The sections `INFO` (or `INFO all`, `default`, `everything`) shows, in order.
    static let infoSections = ["server", "replication", "keyspace"]

    /// The text of the named sections (all of them when none is named); a section Synod
    /// does not have adds nothing, so `INFO cpu` is the empty string, as in Redis.
    func info(_ names: [String]) -> String {
        let everything = names.isEmpty || names.contains { ["all", "default", "everything"].contains($0) }
        let chosen = Self.infoSections.filter { everything || names.contains($0) }
        return chosen.map { section in
            let lines: [String] =
                switch section {
                case "server": ["# Server"] + serverInfo()
                case "replication": ["# Replication"] + replicationInfo()
                default: ["# Keyspace"] + keyspaceInfo()
                }
            return lines.map { $0 + "\r\n" }.joined()
        }.joined(separator: "\r\n")
    }

    private func serverInfo() -> [String] {
        let uptime = (NIODeadline.now() - started).nanoseconds / 1_000_000_000
        let port = context?.channel.localAddress?.port ?? node.configuration.clientPort
        return [
            "redis_version:7.0.0", "synod_version:0.1.0", "synod_node:\(node.configuration.id.rawValue)",
            "redis_mode:standalone", "process_id:\(ProcessInfo.processInfo.processIdentifier)", "tcp_port:\(port)",
            "uptime_in_seconds:\(uptime)", "uptime_in_days:\(uptime / 86_400)",
            "synod_cluster:\(node.configuration.clusterID)",
        ]
    }

    /// `role` is `master` on the leader and `slave` elsewhere (Redis's words); the leader
    /// is named by id and by its peer address, the one address every node knows.
    private func replicationInfo() -> [String] {
        let raft = node.raft
        let leaderAddress = raft.leaderID.flatMap { node.configuration.peers[$0] } ?? ""
        return [
            "role:\(raft.role == .leader ? "master" : "slave")", "synod_role:\(raft.role.rawValue)",
            "synod_term:\(raft.term.rawValue)", "synod_leader:\(raft.leaderID.map { "\($0.rawValue)" } ?? "")",
            "synod_commit_index:\(raft.commitIndex.rawValue)",
            "synod_applied_index:\(node.state.appliedIndex.rawValue)",
            "synod_last_index:\(raft.log.lastIndex.rawValue)",
            "synod_leader_peer_address:\(leaderAddress)", "synod_members:\(node.configuration.members.count)",
        ]
    }

    /// As Redis, a database without keys has no line. No key expires, so `expires` and
    /// `avg_ttl` are 0.
    private func keyspaceInfo() -> [String] {
        let keys = node.state.machine.keyCount
        return keys == 0 ? [] : ["db0:keys=\(keys),expires=0,avg_ttl=0"]
    }
}
