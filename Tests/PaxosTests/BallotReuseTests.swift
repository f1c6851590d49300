import Paxos
import SynodCore
import Testing

/// A ballot belongs to one proposer run: a leader that crashes before its own promise
/// is on disk must not, once restarted, propose again in the same ballot, or two values
/// can be accepted for one slot in one ballot and replicas diverge.
@Suite struct BallotReuseTests {
    /// The interleaving from the review, 5 servers: 1 wins ballot b on the promises of
    /// 3, 4 and 5; its Accept of v1 reaches only 2; 1 crashes before its promise is
    /// synced, restarts and campaigns again; 3, 4 and 5 choose what it proposes now, and
    /// 2 then learns slot 1 from a heartbeat of the same ballot.
    @Test func aLeaderThatCrashesBeforeItsPromiseIsOnDiskNeverReusesItsBallot() {
        var cluster = MultiPaxosTestCluster()
        cluster.syncManually = [1]
        cluster.cut = [[1, 2], [2, 1]]
        cluster.elect(1)
        // v1 reaches 2 alone.
        cluster.cut = [[1, 3], [1, 4], [1, 5]]
        _ = cluster.propose(1, "v1")
        cluster.deliverAll()
        // 1 crashes before syncing anything, and comes back.
        cluster.restart(1)
        cluster.syncManually = []
        cluster.cut = [[1, 2], [2, 1]]
        cluster.elect(1)
        _ = cluster.propose(1, "v2")
        cluster.deliverAll()
        // 2 hears the leader again.
        cluster.cut = []
        for _ in 0..<5 {
            cluster.now = cluster.now + .milliseconds(15)
            cluster.input(1) { node, now, out in node.tick(at: now, into: &out) }
            cluster.deliverAll()
        }
        // One value per slot and ballot, across both runs of server 1.
        var proposed: [String: [UInt8]] = [:]
        for envelope in cluster.sent where envelope.from == 1 {
            guard case .accept(let accept) = envelope.message else { continue }
            for entry in accept.entries {
                let key = "\(accept.ballot) slot \(entry.index)"
                if let earlier = proposed[key] {
                    #expect(earlier == entry.data, "two values proposed in \(key)")
                }
                proposed[key] = entry.data
            }
        }
        let learned = (1...5).map { cluster.texts($0) }
        for (index, log) in learned.enumerated() {
            for (other, otherLog) in learned.enumerated() where other > index {
                let common = min(log.count, otherLog.count)
                #expect(
                    Array(log.prefix(common)) == Array(otherLog.prefix(common)),
                    "n\(index + 1) applied \(log), n\(other + 1) applied \(otherLog)")
            }
        }
    }
}
