import Raft
import SynodCore
import Testing

/// Client proposals: only the leader appends; everyone else points at the leader it knows.
@Suite struct ProposalTests {
    @Test func leaderAcceptsAProposalAtItsNextIndexAndTerm() {
        var cluster = clusterWithLeader()
        let (result, out) = cluster.propose([1, 2, 3], on: 1)
        #expect(result == .accepted(index: 2, term: 1))
        #expect(cluster[1].log.entry(at: 2) == LogEntry(term: 1, index: 2, kind: .command, data: [1, 2, 3]))
        #expect(out.writes.map(\.entries) == [[LogEntry(term: 1, index: 2, data: [1, 2, 3])]])

        let (second, _) = cluster.propose([4], on: 1)
        #expect(second == .accepted(index: 3, term: 1))
    }

    @Test func leaderSendsTheNewEntryToEveryFollowerAfterWhatItAlreadyHas() {
        var cluster = clusterWithLeader()
        let (_, out) = cluster.propose([5], on: 1)
        #expect(out.messages.map(\.to) == [2, 3])
        #expect(
            out.messages.appends
                == Array(
                    repeating: AppendEntries(
                        term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [LogEntry(term: 1, index: 2, data: [5])],
                        leaderCommit: 1),
                    count: 2))
    }

    @Test func aLoneLeaderCommitsAProposalOnceItsOwnWriteIsSynced() {
        var cluster = TestCluster(members: [1])
        cluster.elect(1)
        #expect(cluster[1].commitIndex == 1)
        let (result, out) = cluster.propose([8], on: 1)
        #expect(result == .accepted(index: 2, term: 1))
        #expect(out.committed.isEmpty)
        #expect(cluster[1].commitIndex == 1)
        let synced = cluster.sync(1)
        #expect(cluster[1].commitIndex == 2)
        #expect(synced.committed == [LogEntry(term: 1, index: 2, data: [8])])
    }

    @Test func followerRejectsAndNamesTheLeaderOnceItHasHeardFromIt() {
        var cluster = TestCluster()
        let (before, _) = cluster.propose([1], on: 2)
        #expect(before == .rejected(leaderHint: nil))

        cluster.elect(1)
        let (after, out) = cluster.propose([1], on: 2)
        #expect(after == .rejected(leaderHint: 1))
        #expect(out.writes.isEmpty && out.messages.isEmpty)
        #expect(cluster[2].log.lastIndex == 1, "only the leader's no-op")
    }

    @Test func candidateRejectsWithoutAHint() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        let (result, out) = cluster.propose([1], on: 1)
        #expect(result == .rejected(leaderHint: nil))
        #expect(out.writes.isEmpty)
        #expect(cluster[1].log.lastIndex == 0)
    }

    @Test func deposedLeaderRejects() {
        var cluster = clusterWithLeader()
        cluster.receive(
            .appendEntries(.init(term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1)),
            from: 3, to: 1)
        let (result, _) = cluster.propose([1], on: 1)
        #expect(result == .rejected(leaderHint: 3))
        #expect(cluster[1].log.lastIndex == 1)
    }
}
