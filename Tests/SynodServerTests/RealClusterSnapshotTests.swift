import Foundation
import SynodServer
import Testing

/// A follower that was down while the others compacted their logs catches up from the
/// leader's snapshot, which it decodes off its event loop, on real `synod serve`
/// processes.
@Suite(.serialized) struct RealClusterSnapshotTests {
    @Test func aFollowerBackAfterCompactionInstallsTheLeadersSnapshotAndServesItsKeys() throws {
        let cluster = try RealCluster.launch(options: ["--snapshot-every", "20"])
        defer { cluster.stop() }
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let follower = cluster.ids.first { $0 != leader.id }!
        cluster.kill(follower)
        let gone = poll(timeout: 10) { cluster.isGone(follower) ? true : nil }
        try #require(gone == true, "n\(follower) is still there (a zombie?)")

        // Enough writes through the leader that every live log is compacted past them.
        let written = poll(timeout: 10) { () -> Bool? in
            guard let client = cluster.client(leader.id) else { return nil }
            for i in 0..<100 {
                guard (try? client.call("SET", "k\(i)", "v\(i)")) == .ok else { return nil }
            }
            return true
        }
        try #require(written == true, "the writes were not accepted\n\(cluster.logTails())")
        let compacted = poll(timeout: 10) { () -> Bool? in
            FileManager.default.fileExists(atPath: "\(cluster.directory)/n\(leader.id)/wal/snapshot") ? true : nil
        }
        try #require(compacted == true, "the leader wrote no snapshot with --snapshot-every 20")

        try cluster.restart()
        let caughtUp = poll(timeout: 10) { () -> Bool? in
            guard let commit = cluster.leader()?.commit, let status = cluster.status(follower) else { return nil }
            return status.applied >= commit ? true : nil
        }
        try #require(caughtUp == true, "n\(follower) did not catch up in 10 s\n\(cluster.logTails())")
        let log = (try? String(contentsOfFile: "\(cluster.directory)/n\(follower).log", encoding: .utf8)) ?? ""
        #expect(
            log.contains("installed the leader's snapshot"),
            "n\(follower) caught up without a snapshot\n\(cluster.logTails())")

        // A GET on the follower is answered from its own machine, once that has applied
        // the leader's read point: the snapshot's keys must be there.
        let value = poll(timeout: 5) { () -> RESPValue? in
            guard let client = cluster.client(follower) else { return nil }
            return try? client.call("GET", "k0")
        }
        #expect(value == .bulk("v0"), "n\(follower) answered \(String(describing: value))")
    }
}
