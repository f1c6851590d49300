import Raft
import SynodCore
import Testing

/// Restart from the durable state (HardState + RaftLog): the term and vote survive,
/// the commit index does not and is learned again.
@Suite struct RestartTests {
    @Test func restartKeepsTermVoteAndLogAndStartsWithCommitIndexZero() {
        var cluster = clusterWithLeader()
        cluster.propose([9], on: 1)
        cluster.settle()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[2].commitIndex == 2)
        let log = cluster[2].log

        cluster.crash(2)
        cluster.restart(2)
        #expect(cluster[2].hardState == HardState(term: 1, votedFor: 1))
        #expect(cluster[2].log == log)
        #expect(cluster[2].durableIndex == 2)
        #expect(cluster[2].commitIndex == 0)
        #expect(cluster[2].appliedIndex == 0)
        #expect(cluster[2].role == .follower)
        #expect(cluster[2].leaderID == nil)

        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[2].commitIndex == 2, "the next heartbeat brings the commit index back")
        #expect(cluster.applied[2] == log.entries)
    }

    @Test func aRestartedVoterKeepsItsVoteForTheTerm() {
        var cluster = TestCluster()
        cluster.receive(.requestVote(.init(term: 1, lastLogIndex: 0, lastLogTerm: 0)), from: 2, to: 1)
        cluster.sync(1)
        cluster.crash(1)
        cluster.restart(1)
        #expect(cluster[1].hardState == HardState(term: 1, votedFor: 2))

        let out = cluster.receive(.requestVote(.init(term: 1, lastLogIndex: 0, lastLogTerm: 0)), from: 3, to: 1)
        #expect(out.messages.voteResponses == [.init(term: 1, granted: false)])
    }

    @Test func unsyncedEntriesAreGoneAfterACrash() {
        var cluster = TestCluster()
        cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1), leaderCommit: 0)),
            from: 2, to: 1)
        cluster.sync(1)
        cluster.receive(
            .appendEntries(
                .init(term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, term: 1)], leaderCommit: 0)),
            from: 2, to: 1)
        #expect(cluster.sent[1, default: []].appendResponses == [.accepted(term: 1, matchIndex: 1)])
        cluster.crash(1)
        cluster.restart(1)
        #expect(cluster[1].log.terms == [1], "and it never acknowledged entry 2")
    }

    @Test func aRestartedLoneServerRecommitsItsLogUnderANewNoop() {
        var cluster = TestCluster(members: [1], disks: [1: .init(term: 1, votedFor: 1, log: entries(1, 1))])
        #expect(cluster[1].commitIndex == 0)
        cluster.elect(1)
        #expect(cluster[1].term == 2)
        #expect(cluster[1].commitIndex == 3)
        #expect(cluster.applied[1] == entries(1, 1) + [.noop(term: 2, index: 3)])
    }
}
