import Raft
import SynodCore
import Testing

/// A server whose disk cannot write abstains (`abstain(_:at:into:)`): a leader hands
/// leadership to its most up-to-date follower, or steps down when that transfer gives
/// up; no abstaining server campaigns or takes a TimeoutNow; proposals are refused.
@Suite struct AbstainTests {
    static func abstain(_ id: NodeID, _ abstaining: Bool, in cluster: inout TestCluster) {
        var node = cluster[id]
        var out = RaftOutput()
        node.abstain(abstaining, at: cluster.now, into: &out)
        cluster.replace(id, with: node, output: out)
    }

    @Test func anAbstainingLeaderHandsLeadershipToAnUpToDateFollower() {
        var cluster = TestCluster()
        cluster.elect(1)
        _ = cluster.propose([1], on: 1)
        cluster.settle()
        let term = cluster[1].term
        Self.abstain(1, true, in: &cluster)
        #expect(!cluster[1].isLeader, "an abstaining leader refuses proposals")
        if case .accepted = cluster.propose([2], on: 1).0 { Issue.record("an abstaining leader took a proposal") }
        cluster.settle()
        let leaders = cluster.members.filter { cluster[$0].role == .leader }
        #expect(leaders.count == 1 && leaders != [1], "leaders: \(leaders)")
        #expect(cluster[leaders[0]].term == term.next, "the transfer's candidate wins the next term")
        #expect(cluster[1].role == .follower && cluster[1].abstaining)
    }

    @Test func aLeaderWhoseTransferGivesUpStepsDown() {
        var cluster = TestCluster()
        cluster.elect(1)
        // The followers hear nothing more from it: no transfer can complete.
        cluster.down = [2, 3]
        Self.abstain(1, true, in: &cluster)
        #expect(cluster[1].transferTarget != nil)
        cluster.run(until: cluster.now + cluster.configuration.electionTimeoutMax + .milliseconds(20))
        #expect(cluster[1].role == .follower, "still \(cluster[1].role)")
    }

    @Test func anAbstainingServerNeitherCampaignsNorTakesATimeoutNow() {
        var cluster = TestCluster()
        cluster.elect(1)
        Self.abstain(2, true, in: &cluster)
        var leader = cluster[1]
        var out = RaftOutput()
        #expect(leader.transferLeadership(to: 2, at: cluster.now, into: &out))
        cluster.replace(1, with: leader, output: out)
        cluster.settle()
        #expect(cluster[2].role == .follower, "an abstaining server answered a TimeoutNow")

        cluster.down = [1]
        cluster.run(until: cluster.now + .seconds(2))
        #expect(cluster[2].role == .follower, "an abstaining server campaigned")
        #expect(cluster[3].role == .leader, "the other server should lead")
        Self.abstain(2, false, in: &cluster)
        #expect(!cluster[2].abstaining)
    }
}
