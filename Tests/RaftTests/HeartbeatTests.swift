import Raft
import SynodCore
import Testing

/// HeartBeat: a leader keeps its followers' election timers from firing; `wakeAt` tells
/// the driver when each server next needs time to pass.
@Suite struct HeartbeatTests {
    @Test func leaderSendsAnEmptyAppendEntriesToEveryFollowerOncePerInterval() {
        let interval = TimeSpan.milliseconds(10)
        var cluster = clusterWithLeader(configuration: RaftConfiguration(heartbeatInterval: interval))
        let start = cluster.now
        #expect(cluster.wakeAt[1] == start + interval)

        cluster.now = start + interval - TimeSpan(nanoseconds: 1)
        let early = cluster.tick(1)
        #expect(early.messages.isEmpty)
        #expect(early.wakeAt == start + interval)

        cluster.now = start + interval
        let beat = cluster.tick(1)
        #expect(beat.messages.map(\.to) == [2, 3])
        #expect(
            beat.messages.appends
                == Array(
                    repeating: AppendEntries(term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1),
                    count: 2))
        #expect(beat.wakeAt == start + interval * 2)

        let again = cluster.tick(1)
        #expect(again.messages.isEmpty, "one heartbeat per interval")
    }

    @Test func aFreshLeaderAnnouncesItselfAtOnceAndWakesForTheNextHeartbeat() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.sync(1)
        cluster.deliverAll(to: 2)
        cluster.sync(2)
        let won = cluster.deliverAll(to: 1)
        #expect(cluster[1].role == .leader)
        #expect(won.wakeAt == cluster.now + RaftConfiguration().heartbeatInterval)
        #expect(won.messages.map(\.to) == [2, 3])
        #expect(
            won.messages.appends.map(\.entries) == Array(repeating: [.noop(term: 1, index: 1)], count: 2))
    }

    @Test func wakeAtOfAFollowerIsItsElectionDeadlineAndAnAppendPushesItBack() {
        var cluster = clusterWithLeader()
        let deadline = cluster.wakeAt[2]!
        #expect(deadline >= cluster.now + .milliseconds(100) && deadline <= cluster.now + .milliseconds(200))

        cluster.now = deadline - .milliseconds(1)
        let heard = cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1)),
            from: 1, to: 2)
        #expect(heard.wakeAt >= cluster.now + .milliseconds(100))
        #expect(heard.wakeAt <= cluster.now + .milliseconds(200))

        cluster.now = deadline
        let quiet = cluster.tick(2)
        #expect(cluster[2].role == .follower, "the old deadline no longer applies")
        #expect(quiet.messages.isEmpty)
    }

    @Test func wakeAtOfACandidateIsItsNextElectionDeadline() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        let out = cluster.tick(1)
        #expect(cluster[1].role == .candidate)
        #expect(out.wakeAt >= cluster.now + .milliseconds(100) && out.wakeAt <= cluster.now + .milliseconds(200))

        cluster.now = out.wakeAt
        let again = cluster.tick(1)
        #expect(cluster[1].term == 2, "a split vote: try again with the next term")
        #expect(again.messages.requestVotes.map(\.term) == [2, 2])
    }

    @Test func followersThatKeepHearingHeartbeatsNeverCampaign() {
        var cluster = clusterWithLeader()
        cluster.run(until: cluster.now + .seconds(5))
        #expect(cluster.members.allSatisfy { cluster[$0].term == 1 })
        #expect(cluster[1].role == .leader)
        #expect(cluster[2].leaderID == 1 && cluster[3].leaderID == 1)
        #expect(cluster[2].commitIndex == 1, "heartbeats carry the commit index")
    }

    @Test func followersElectANewLeaderWhenHeartbeatsStop() {
        var cluster = clusterWithLeader()
        cluster.crash(1)
        cluster.run(until: cluster.now + .seconds(2))
        let leaders = [NodeID(2), 3].filter { cluster[$0].role == .leader }
        #expect(leaders.count == 1)
        #expect(leaders.allSatisfy { cluster[$0].term >= 2 })
    }
}
