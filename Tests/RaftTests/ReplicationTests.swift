import Raft
import SynodCore
import Testing

/// Log replication (Raft §5.3, §5.4.2): the consistency check, conflict hints,
/// truncation, and when the High-Water Mark (commit index) may move.
@Suite struct ReplicationTests {
    // MARK: Follower side

    @Test func followerWithATooShortLogRejectsWithItsLastIndexPlusOne() {
        var cluster = TestCluster(disks: [1: .init(term: 1, log: entries(1))])
        let out = cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 3, prevLogTerm: 1, entries: [], leaderCommit: 0)),
            from: 2, to: 1)
        #expect(out.writes.isEmpty)
        #expect(
            out.messages.appendResponses == [.rejected(term: 1, rejectedIndex: 3, conflictIndex: 2, conflictTerm: nil)])
        #expect(cluster[1].log.terms == [1])
    }

    @Test func followerWithAnotherTermAtPrevRejectsWithThatTermAndItsFirstIndex() {
        var cluster = TestCluster(disks: [1: .init(term: 2, log: entries(1, 2, 2, 2))])
        cluster.receive(
            .appendEntries(.init(term: 3, prevLogIndex: 4, prevLogTerm: 3, entries: [], leaderCommit: 0)),
            from: 2, to: 1)
        let out = cluster.sync(1)  // the new term
        #expect(
            out.messages.appendResponses == [.rejected(term: 3, rejectedIndex: 4, conflictIndex: 2, conflictTerm: 2)])
        #expect(cluster[1].log.terms == [1, 2, 2, 2], "a failed check changes no entry")
    }

    @Test func followerTruncatesAConflictingSuffixAndAppendsTheLeadersEntries() {
        var cluster = TestCluster(disks: [1: .init(term: 2, log: entries(1, 1, 2))])
        let out = cluster.receive(
            .appendEntries(
                .init(
                    term: 3, prevLogIndex: 1, prevLogTerm: 1,
                    entries: [entry(2, term: 1), entry(3, term: 3), entry(4, term: 3)], leaderCommit: 0)),
            from: 2, to: 1)
        #expect(cluster[1].log.terms == [1, 1, 3, 3])
        #expect(out.writes.count == 1)
        #expect(out.writes.first?.truncateFrom == 3)
        #expect(out.writes.first?.entries == [entry(3, term: 3), entry(4, term: 3)])

        let synced = cluster.sync(1)
        #expect(synced.messages.appendResponses == [.accepted(term: 3, matchIndex: 4)])
        #expect(cluster.disks[1]?.entries == entries(1, 1, 3, 3))
    }

    @Test func aStaleShorterAppendDoesNotTruncateMatchingEntries() {
        var cluster = TestCluster(disks: [1: .init(term: 1, log: entries(1, 1, 1))])
        let out = cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1), leaderCommit: 0)),
            from: 2, to: 1)
        #expect(cluster[1].log.terms == [1, 1, 1])
        #expect(out.writes.isEmpty)
        #expect(out.messages.appendResponses == [.accepted(term: 1, matchIndex: 1)])
    }

    struct CommitCase: Sendable, CustomTestStringConvertible {
        var name: String
        var disk: TestCluster.Disk
        var append: AppendEntries
        var commitIndex: LogIndex
        var testDescription: String { name }
    }

    @Test(arguments: [
        CommitCase(
            name: "leader commit beyond the new entries", disk: .init(term: 1),
            append: .init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, 1), leaderCommit: 5),
            commitIndex: 2),
        CommitCase(
            name: "leader commit inside the new entries", disk: .init(term: 1),
            append: .init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: entries(1, 1, 1), leaderCommit: 1),
            commitIndex: 1),
        CommitCase(
            name: "heartbeat: entries past prev are not known to match", disk: .init(term: 2, log: entries(1, 1, 2)),
            append: .init(term: 3, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 3),
            commitIndex: 1),
    ])
    func followerCommitsUpToTheLeadersCommitButNoFurtherThanTheLastNewEntry(_ c: CommitCase) {
        var cluster = TestCluster(disks: [1: c.disk])
        let out = cluster.receive(.appendEntries(c.append), from: 2, to: 1)
        #expect(cluster[1].commitIndex == c.commitIndex)
        #expect(out.committed == Array(cluster[1].log.entries.prefix(Int(c.commitIndex.rawValue))))
    }

    // MARK: Leader side

    /// n1 wins term 1 with n2's vote; its no-op is appended but not yet synced.
    private func leaderWithUnsyncedNoop() -> TestCluster {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.sync(1)
        _ = cluster.take(to: 3)
        cluster.deliverAll(to: 2)
        cluster.sync(2)
        cluster.deliverAll(to: 1)
        #expect(cluster[1].role == .leader)
        cluster.tick(1)  // sends the no-op to both followers
        return cluster
    }

    @Test func leaderCountsItselfOnlyUpToWhatItsDiskHasSynced() {
        var cluster = leaderWithUnsyncedNoop()
        cluster.deliverAll(to: 2)
        cluster.sync(2)
        _ = cluster.take(to: 3)
        cluster.deliverAll(to: 1)
        #expect(cluster[1].commitIndex == 0, "n2 alone has the no-op on disk: one of three")

        let out = cluster.sync(1)
        #expect(cluster[1].commitIndex == 1)
        #expect(out.committed == [.noop(term: 1, index: 1)])
    }

    @Test func leaderCommitsWhenAMajorityOfFollowersHasTheEntryEvenBeforeItsOwnSync() {
        var cluster = leaderWithUnsyncedNoop()
        cluster.deliverAll(to: 2)
        cluster.deliverAll(to: 3)
        cluster.sync(2)
        cluster.sync(3)
        let out = cluster.deliverAll(to: 1)
        #expect(cluster[1].durableIndex == 0)
        #expect(cluster[1].commitIndex == 1)
        #expect(out.committed == [.noop(term: 1, index: 1)])
    }

    @Test func leaderWithoutAMajorityCommitsNothingNew() {
        var cluster = clusterWithLeader()
        cluster.down = [2, 3]
        cluster.propose([1], on: 1)
        cluster.settle()
        #expect(cluster[1].durableIndex == 2)
        #expect(cluster[1].commitIndex == 1)
    }

    @Test func proposalsAreCommittedAndAppliedInTheSameOrderOnEveryServer() {
        var cluster = clusterWithLeader()
        for byte in UInt8(1)...3 { cluster.propose([byte], on: 1) }
        cluster.settle()
        #expect(cluster[1].commitIndex == 4)
        #expect(cluster[2].commitIndex == 1, "followers learn the new commit index with the next append")

        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.settle()
        let expected =
            [LogEntry.noop(term: 1, index: 1)]
            + (UInt8(1)...3).map {
                LogEntry(term: 1, index: LogIndex(UInt64($0) + 1), data: [$0])
            }
        for id in cluster.members {
            #expect(cluster[id].log.entries == expected, "\(id)")
            #expect(cluster.applied[id] == expected, "\(id)")
        }
    }

    /// Raft's Figure 8. n1 led term 2 and appended 2@2; n2 then led term 3 with n3's vote
    /// and appended 2@3, which nobody else got. Now n1 leads term 4 and copies 2@2 to n3:
    /// 2@2 sits on a majority, but n2 can still win term 5 (its last term, 3, beats 2)
    /// and overwrite it. So a leader may commit only an entry of its own term by counting.
    /// (With the bug the leaders also skip their no-ops, as the paper's Figure 8 servers do.)
    @Test(arguments: [false, true])
    func leaderDoesNotCommitAnEarlierTermsEntryByCountingReplicas(bug: Bool) {
        var cluster = TestCluster(
            configuration: RaftConfiguration(maxEntriesPerAppend: 1, bugs: bug ? [.commitPreviousTerm] : []),
            disks: [
                1: .init(term: 3, log: entries(1, 2)),
                2: .init(term: 3, votedFor: 2, log: entries(1, 3)),
                3: .init(term: 3, votedFor: 2, log: entries(1)),
            ])
        cluster.down = [2]
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)  // campaigns for term 4
        _ = cluster.take(to: 2)
        cluster.deliverAll(to: 3)
        cluster.sync(3)
        cluster.deliverAll(to: 1)
        cluster.sync(1)
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].term == 4)
        cluster.sync(1)  // n1's no-op 3@4, if any, is durable

        cluster.tick(1)
        _ = cluster.take(to: 2)
        cluster.deliverAll(to: 3)  // too short for prev 2@2: rejected
        cluster.deliverAll(to: 1)
        #expect(cluster.network.to(3).appends.map(\.entries) == [[entry(2, term: 2)]])
        cluster.deliverAll(to: 3)
        cluster.sync(3)
        cluster.deliverAll(to: 1)  // n3 acknowledges index 2
        #expect(cluster[3].log.terms == [1, 2])
        #expect(cluster[1].commitIndex == (bug ? 2 : 0))

        // n1 crashes before it gets further; n2 comes back and wins.
        cluster.crash(1)
        cluster.network.removeAll()
        cluster.down.remove(2)
        cluster.elect(2)
        #expect(cluster[2].term == 5)
        #expect(cluster[3].log.entry(at: 2)?.term == 3, "n3's 2@2 was overwritten")
        #expect(cluster[2].commitIndex >= 2)

        let lost = cluster.applied[1, default: []].filter { applied in
            cluster.applied[2, default: []].contains { $0.index == applied.index && $0 != applied }
        }
        #expect(lost == (bug ? [entry(2, term: 2)] : []), "an entry applied by n1 is replaced on the new leader")
    }

    struct AckCase: Sendable, CustomTestStringConvertible {
        var acks: [NodeID]
        var commitIndex: LogIndex
        var testDescription: String { "acknowledged by \(acks)" }
    }

    /// A five-server leader with entry 2 synced on its own disk, after acknowledgements.
    @Test(arguments: [
        AckCase(acks: [], commitIndex: 1),
        AckCase(acks: [2], commitIndex: 1),
        AckCase(acks: [2, 2], commitIndex: 1),  // a repeated ack is one server
        AckCase(acks: [2, 3], commitIndex: 2),
        AckCase(acks: [4, 5], commitIndex: 2),
        AckCase(acks: [2, 3, 4, 5], commitIndex: 2),
    ])
    func leaderCommitsOnceAMajorityAcknowledges(_ c: AckCase) {
        var cluster = TestCluster(members: [1, 2, 3, 4, 5])
        cluster.elect(1)
        #expect(cluster[1].commitIndex == 1)
        cluster.propose([1], on: 1)
        _ = cluster.take()
        cluster.sync(1)
        for follower in c.acks {
            cluster.receive(.appendEntriesResponse(.accepted(term: 1, matchIndex: 2)), from: follower, to: 1)
        }
        #expect(cluster[1].commitIndex == c.commitIndex)
    }

    /// The follower logs of the Raft paper's Figure 7, each brought in line with the
    /// leader's (1 1 1 4 4 5 5 6 6 6, term 8) by AppendEntries alone.
    @Test(arguments: [
        entries(1, 1, 1, 4, 4, 5, 5, 6, 6),  // (a) missing one entry
        entries(1, 1, 1, 4),  // (b) missing many
        entries(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),  // (c) one extra entry of term 6
        entries(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),  // (d) extra entries of a later term
        entries(1, 1, 1, 4, 4, 4, 4),  // (e) missing and extra entries
        entries(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3),  // (f) entries of terms the leader never saw
    ])
    func leaderBringsEachFigure7FollowerInLine(follower: [LogEntry]) {
        let leaderLog = entries(1, 1, 1, 4, 4, 5, 5, 6, 6, 6)
        var cluster = TestCluster(disks: [
            1: .init(term: 7, log: leaderLog),
            2: .init(term: 7, log: follower),
            3: .init(term: 7, log: leaderLog),
        ])
        cluster.down = [2]
        cluster.elect(1)
        #expect(cluster[1].term == 8)

        cluster.down = [3]
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[2].log == cluster[1].log)
        #expect(cluster[2].log.terms == leaderLog.map(\.term.rawValue) + [8])
        #expect(cluster[1].commitIndex == 11)
    }

    struct BackOffCase: Sendable, CustomTestStringConvertible {
        var follower: [LogEntry]
        var conflictIndex: LogIndex
        var conflictTerm: Term?
        /// The prevLogIndex of the leader's next AppendEntries.
        var nextPrev: LogIndex
        var testDescription: String { "follower log \(follower.map(\.term))" }
    }

    /// The leader's log is 1@1 2@1 3@2 4@2 5@4 6@4, then its no-op 7@5. Its first probe
    /// asks about 6@4; one rejection must move it past the whole conflicting term.
    @Test(arguments: [
        // The leader has term 2 too: resume after its last entry of term 2.
        BackOffCase(follower: entries(1, 1, 2, 2, 2, 2), conflictIndex: 3, conflictTerm: 2, nextPrev: 4),
        // The leader has no term 3: resume at the follower's first entry of term 3.
        BackOffCase(follower: entries(1, 1, 2, 3, 3, 3), conflictIndex: 4, conflictTerm: 3, nextPrev: 3),
        // Too short: resume right after the follower's last entry.
        BackOffCase(follower: entries(1, 1), conflictIndex: 3, conflictTerm: nil, nextPrev: 2),
    ])
    func leaderBacksOffAWholeTermPerRejection(_ c: BackOffCase) {
        var cluster = TestCluster(disks: [
            1: .init(term: 4, log: entries(1, 1, 2, 2, 4, 4)),
            2: .init(term: 3, log: c.follower),
        ])
        cluster.down = [3]
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        _ = cluster.take(to: 3)
        cluster.deliverAll(to: 2)
        cluster.sync(2)
        cluster.deliverAll(to: 1)
        cluster.sync(1)
        #expect(cluster[1].role == .leader)

        cluster.tick(1)
        _ = cluster.take(to: 3)
        #expect(cluster.network.to(2).appends.map(\.prevLogIndex) == [6])
        cluster.deliverAll(to: 2)
        #expect(
            cluster.network.to(1).appendResponses == [
                .rejected(term: 5, rejectedIndex: 6, conflictIndex: c.conflictIndex, conflictTerm: c.conflictTerm)
            ])
        let out = cluster.deliverAll(to: 1)
        #expect(out.messages.to(2).appends.map(\.prevLogIndex) == [c.nextPrev])

        cluster.settle()
        #expect(cluster[2].log == cluster[1].log)
        #expect(cluster[1].commitIndex == 7)
    }

    @Test func aRejectionOlderThanTheFollowersMatchIndexIsIgnored() {
        var cluster = clusterWithLeader()
        cluster.propose([1], on: 1)
        cluster.settle()
        #expect(cluster[1].commitIndex == 2)

        let stale = cluster.receive(
            .appendEntriesResponse(.rejected(term: 1, rejectedIndex: 1, conflictIndex: 1, conflictTerm: nil)),
            from: 2, to: 1)
        #expect(stale.messages.isEmpty, "no resend for a rejection n2 has since overtaken")

        let (_, next) = cluster.propose([2], on: 1)
        #expect(next.messages.to(2).appends.map(\.prevLogIndex) == [2])
    }

    @Test func followerThatMissedEntriesCatchesUpAfterARejection() {
        var cluster = clusterWithLeader()
        cluster.down = [3]
        for byte in UInt8(1)...5 { cluster.propose([byte], on: 1) }
        cluster.settle()
        #expect(cluster[1].commitIndex == 6)
        #expect(cluster[3].log.lastIndex == 1)

        cluster.down = []
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[3].log == cluster[1].log)
    }
}

@Suite("Flow control")
struct FlowControlTests {
    @Test("a leader keeps at most maxInflightAppends unanswered appends in flight to a follower")
    func inflightLimit() {
        var configuration = RaftConfiguration()
        configuration.maxInflightAppends = 3
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.settle()
        _ = cluster.take()
        // Ten proposals while the followers answer nothing.
        var sent: [AppendEntries] = []
        for i in 0..<10 {
            let (_, out) = cluster.propose([UInt8(i)], on: 1)
            sent += out.messages.to(2).appends
        }
        #expect(sent.filter { !$0.entries.isEmpty }.count == 3, "only three appends with entries may be in flight")
        // Acknowledging them lets the rest go.
        cluster.sync(1)
        cluster.settle()
        #expect(cluster[2].log.lastIndex == cluster[1].log.lastIndex)
        #expect(cluster[1].commitIndex == cluster[1].log.lastIndex)
    }
}

extension FlowControlTests {
    @Test("a throttled follower whose appends were lost is probed again, not left behind")
    func lostInflightAppendsRecover() {
        var configuration = RaftConfiguration()
        configuration.maxInflightAppends = 2
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.settle()
        for i in 0..<6 { cluster.propose([UInt8(i)], on: 1) }
        cluster.sync(1)
        // Everything in flight to node 2 is lost.
        _ = cluster.take(to: 2)
        cluster.settle()
        #expect(cluster[2].log.lastIndex < cluster[1].log.lastIndex)
        // Heartbeats go on; within a few rounds node 2 has everything again.
        for _ in 0..<5 {
            cluster.now = cluster.now + .milliseconds(10)
            cluster.tick(1)
            cluster.settle()
        }
        #expect(cluster[2].log.lastIndex == cluster[1].log.lastIndex, "replication to the follower stalled")
    }
}

extension FlowControlTests {
    /// Reported: with at most 2 appends in flight and lossless, in-order delivery, the
    /// answer to a bare heartbeat sent while the follower was throttled was taken for a
    /// sign that the appends were lost: the leader probed again, sent entries twice, and
    /// the follower fell behind.
    @Test("on a lossless in-order link a throttled follower gets every entry exactly once")
    func heartbeatAnswersWhileThrottledDoNotResend() {
        var configuration = RaftConfiguration()
        configuration.maxInflightAppends = 2
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.settle()
        let before = cluster.sent[1, default: []].count
        // Proposals keep coming while messages travel one at a time, in order, none lost.
        for step in 0..<60 {
            if step % 2 == 0, step < 30 { cluster.propose([UInt8(step)], on: 1) }
            for id in cluster.members { cluster.sync(id) }
            if !cluster.network.isEmpty { cluster.deliver(cluster.network.removeFirst()) }
        }
        cluster.settle()
        let appends = Array(cluster.sent[1, default: []].dropFirst(before)).to(2).appends
        let indexes = appends.flatMap { $0.entries.map(\.index) }
        #expect(Set(indexes).count == indexes.count, "entries sent to node 2 more than once: \(indexes)")
        #expect(cluster[2].log.lastIndex == cluster[1].log.lastIndex, "node 2 was left behind")
    }
}

/// A peer's answer is checked against what the leader sent before it counts.
@Suite struct ImpossibleAnswerTests {
    @Test func anAcknowledgementBeyondTheLeadersLogIsIgnoredNotCounted() {
        var cluster = clusterWithLeader()
        cluster.settle()
        let committed = cluster[1].commitIndex
        // Node 3 is gone; the new entry reaches no follower.
        cluster.down = [3]
        _ = cluster.take(to: 2)
        cluster.propose([42], on: 1)
        _ = cluster.take(to: 2)
        cluster.sync(1)
        let last = cluster[1].log.lastIndex
        // A forged (or corrupted) answer claims node 2 holds far more than was ever sent.
        let forged = AppendEntriesResponse.accepted(term: cluster[1].term, matchIndex: last.advanced(by: 1_000))
        cluster.receive(.appendEntriesResponse(forged), from: 2, to: 1)
        #expect(cluster[1].commitIndex == committed, "an impossible acknowledgement let the leader commit alone")
    }
}
