import Raft
import SynodCore
import Testing

/// Persist before you promise: replies that depend on durable state leave only after
/// the write that records that state is synced; messages that promise nothing go at once.
@Suite struct PersistenceTests {
    @Test func voteResponseIsHeldUntilTheVoteIsSynced() {
        var cluster = TestCluster()
        let out = cluster.receive(.requestVote(.init(term: 1, lastLogIndex: 0, lastLogTerm: 0)), from: 2, to: 1)
        #expect(out.messages.isEmpty)
        #expect(out.writes.map(\.hardState) == [HardState(term: 1, votedFor: 2)])
        #expect(cluster[1].heldMessageCount == 1)

        let write = out.writes[0].id
        let synced = cluster.sync(1, through: write)
        #expect(
            synced.messages == [Envelope(from: 1, to: 2, message: .requestVoteResponse(.init(term: 1, granted: true)))])
        #expect(cluster[1].heldMessageCount == 0)
    }

    @Test func appendAcknowledgementIsHeldUntilTheWriteThatCoversIt() {
        var cluster = TestCluster()
        let first = cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1), leaderCommit: 0)),
            from: 2, to: 1)
        #expect(first.messages.isEmpty)
        #expect(first.writes.count == 1)
        #expect(first.writes.first?.hardState == HardState(term: 1))
        #expect(first.writes.first?.entries == entries(1))

        let second = cluster.receive(
            .appendEntries(
                .init(term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, term: 1)], leaderCommit: 0)),
            from: 2, to: 1)
        #expect(second.messages.isEmpty)
        #expect(second.writes.count == 1)
        #expect(second.writes.first?.hardState == nil)
        #expect(second.writes.first?.truncateFrom == nil)
        #expect(second.writes.first?.entries == [entry(2, term: 1)])
        #expect(cluster[1].heldMessageCount == 2)
        #expect(cluster[1].durableIndex == 0)

        let w1 = cluster.sync(1, through: first.writes[0].id)
        #expect(
            w1.messages.appendResponses == [.accepted(term: 1, matchIndex: 1)], "the second ack needs the second write")
        #expect(cluster[1].durableIndex == 1)

        let w2 = cluster.sync(1, through: second.writes[0].id)
        #expect(w2.messages.appendResponses == [.accepted(term: 1, matchIndex: 2)])
        #expect(cluster[1].durableIndex == 2)
    }

    @Test func replyWaitsForEveryEarlierUnsyncedWrite() {
        var cluster = TestCluster()
        cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, 1), leaderCommit: 0)),
            from: 2, to: 1)
        // A retransmission changes nothing, yet its ack promises entries that are not durable.
        let retry = cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, 1), leaderCommit: 0)),
            from: 2, to: 1)
        #expect(retry.writes.isEmpty)
        #expect(retry.messages.isEmpty)
        let synced = cluster.sync(1)
        #expect(synced.messages.appendResponses == Array(repeating: .accepted(term: 1, matchIndex: 2), count: 2))
    }

    @Test func candidateSendsRequestVoteBeforeItsVoteIsSynced() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        let out = cluster.tick(1)
        #expect(out.writes.count == 1)
        #expect(out.messages.requestVotes.count == 2)
        #expect(cluster[1].heldMessageCount == 0)
    }

    @Test func leaderSendsAppendEntriesBeforeItsOwnWriteIsSynced() {
        var cluster = clusterWithLeader()
        let (result, out) = cluster.propose([7], on: 1)
        #expect(result == .accepted(index: 2, term: 1))
        #expect(out.writes.map(\.entries) == [[LogEntry(term: 1, index: 2, data: [7])]])
        #expect(out.messages.map(\.to) == [2, 3])
        #expect(
            out.messages.appends.map(\.entries) == Array(repeating: [LogEntry(term: 1, index: 2, data: [7])], count: 2))
        #expect(cluster[1].durableIndex == 1)
    }

    @Test func withTheNoSyncBeforeVoteBugTheVoteLeavesBeforeItsSync() {
        var cluster = TestCluster(configuration: RaftConfiguration(bugs: [.noSyncBeforeVote]))
        let out = cluster.receive(.requestVote(.init(term: 1, lastLogIndex: 0, lastLogTerm: 0)), from: 2, to: 1)
        #expect(out.writes.map(\.hardState) == [HardState(term: 1, votedFor: 2)])
        #expect(out.messages.voteResponses == [.init(term: 1, granted: true)])
    }

    /// The story the bug exists for: a voter crashes after promising but before its
    /// disk has the promise, comes back without it and votes again in the same term.
    @Test(arguments: [false, true])
    func aVoterThatCrashesBeforeItsVoteIsSyncedVotesTwiceOnlyWithTheBug(bug: Bool) {
        var cluster = TestCluster(configuration: RaftConfiguration(bugs: bug ? [.noSyncBeforeVote] : []))
        cluster.now = cluster.wakeAt[2]!
        cluster.tick(2)  // n2 campaigns for term 1
        cluster.deliverAll(from: 2, to: 1)
        cluster.crash(1)
        cluster.restart(1)
        #expect(cluster[1].hardState == HardState(), "the vote never reached the disk")

        cluster.now = max(cluster.now, cluster.wakeAt[3]!)
        cluster.tick(3)  // n3 campaigns for term 1 too
        cluster.deliverAll(from: 3, to: 1)
        cluster.sync(1)

        let grants = cluster.sent[1, default: []].filter { $0.message.voteResponse == .init(term: 1, granted: true) }
        #expect(grants.map(\.to) == (bug ? [2, 3] : [3]))
    }

    @Test func truncatingADurableSuffixShrinksTheDurablePrefix() {
        var cluster = TestCluster()
        cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, 1, 1), leaderCommit: 0)),
            from: 2, to: 1)
        cluster.sync(1)
        #expect(cluster[1].durableIndex == 3)

        let out = cluster.receive(
            .appendEntries(
                .init(term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, term: 2)], leaderCommit: 0)),
            from: 3, to: 1)
        #expect(out.writes.first?.truncateFrom == 2)
        #expect(cluster[1].durableIndex == 1, "entries 2 and 3 on disk are no longer this log's")
        cluster.sync(1)
        #expect(cluster[1].durableIndex == 2)
        #expect(cluster.disks[1]?.entries == [entry(1, term: 1), entry(2, term: 2)])
    }

    @Test func syncingAWriteWhoseEntriesWereSinceReplacedDoesNotCountThemDurable() {
        var cluster = TestCluster()
        let first = cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, 1, 1), leaderCommit: 0)),
            from: 2, to: 1)
        let second = cluster.receive(
            .appendEntries(
                .init(term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, term: 2)], leaderCommit: 0)),
            from: 3, to: 1)
        #expect(second.writes.first?.truncateFrom == 2)
        cluster.sync(1, through: first.writes[0].id)
        #expect(cluster[1].durableIndex == 1, "the disk holds 2@1, the log holds 2@2")
        cluster.sync(1)
        #expect(cluster[1].durableIndex == 2)
    }
}
