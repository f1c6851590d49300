import Raft
import SynodCore
import Testing

/// Leader election (Raft §5.2, §5.4.1).
@Suite struct ElectionTests {
    @Test func followerThatHearsNothingCampaignsWithTheNextTermAndAsksEveryPeer() {
        var cluster = TestCluster(disks: [1: .init(term: 2, log: entries(1, 2))])
        let deadline = cluster.wakeAt[1]!

        cluster.now = deadline - TimeSpan(nanoseconds: 1)
        let early = cluster.tick(1)
        #expect(cluster[1].role == .follower)
        #expect(early.messages.isEmpty && early.writes.isEmpty)

        cluster.now = deadline
        let out = cluster.tick(1)
        #expect(cluster[1].role == .candidate)
        #expect(cluster[1].term == 3)
        #expect(cluster[1].votedFor == 1)
        #expect(out.messages.map(\.to) == [2, 3])
        #expect(
            out.messages.requestVotes
                == Array(repeating: RequestVote(term: 3, lastLogIndex: 2, lastLogTerm: 2), count: 2))
        #expect(out.writes.map(\.hardState) == [HardState(term: 3, votedFor: 1)])
    }

    @Test func electionTimeoutsAreDrawnWithinTheRangeAndDifferAcrossSeeds() {
        let configuration = RaftConfiguration(
            electionTimeoutMin: .milliseconds(150), electionTimeoutMax: .milliseconds(300))
        let range = configuration.electionTimeoutMin...configuration.electionTimeoutMax
        var timeouts: Set<TimeSpan> = []
        for seed in UInt64(1)...32 {
            var node = RaftNode(
                id: 1, members: [1, 2, 3], configuration: configuration, now: .zero,
                random: SeededGenerator(seed: seed))
            var out = RaftOutput()
            node.tick(at: .zero, into: &out)
            let timeout = out.wakeAt - Instant.zero
            #expect(range.contains(timeout), "seed \(seed)")
            timeouts.insert(timeout)
        }
        #expect(timeouts.count > 24, "timeouts must be randomized, got \(timeouts.sorted())")
    }

    @Test func everyNewElectionDrawsAFreshTimeoutAndTheSameSeedRepeatsIt() {
        func timeouts(seed: UInt64) -> [TimeSpan] {
            var plain = RaftConfiguration()
            plain.elections = .plain
            var node = RaftNode(
                id: 1, members: [1, 2, 3], configuration: plain, now: .zero, random: SeededGenerator(seed: seed))
            var out = RaftOutput()
            node.tick(at: .zero, into: &out)
            var now = Instant.zero
            var drawn: [TimeSpan] = []
            for _ in 0..<8 {
                drawn.append(out.wakeAt - now)
                now = out.wakeAt
                out.removeAll()
                node.tick(at: now, into: &out)  // times out, campaigns again
            }
            #expect(node.term == 8)
            return drawn
        }
        let first = timeouts(seed: 42)
        #expect(first.allSatisfy { $0 >= .milliseconds(100) && $0 <= .milliseconds(200) })
        #expect(Set(first).count > 1)
        #expect(timeouts(seed: 42) == first)
        #expect(timeouts(seed: 43) != first)
    }

    @Test func candidateWithAMajorityBecomesLeaderAndAppendsANoopOfItsTerm() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.sync(1)
        #expect(cluster[1].role == .candidate, "its own vote is one of three")

        cluster.deliverAll(to: 2)
        cluster.sync(2)
        let out = cluster.deliverAll(from: 2, to: 1)

        #expect(cluster[1].role == .leader)
        #expect(cluster[1].leaderID == 1)
        #expect(cluster[1].log.entries == [.noop(term: 1, index: 1)])
        #expect(out.writes.map(\.entries) == [[.noop(term: 1, index: 1)]])
    }

    @Test func candidateCountsItsOwnVoteOnlyOnceTheVoteIsSynced() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.deliverAll(to: 2)
        cluster.sync(2)
        cluster.deliverAll(from: 2, to: 1)
        #expect(cluster[1].role == .candidate, "one durable vote of three is not a majority")

        cluster.sync(1)
        #expect(cluster[1].role == .leader)
    }

    @Test func candidateDoesNotWinWithRefusedVotes() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.sync(1)
        cluster.receive(.requestVoteResponse(.init(term: 1, granted: false)), from: 2, to: 1)
        cluster.receive(.requestVoteResponse(.init(term: 1, granted: false)), from: 3, to: 1)
        #expect(cluster[1].role == .candidate)
    }

    struct RoundCase: Sendable, CustomTestStringConvertible {
        var granted: [NodeID]
        var refused: [NodeID]
        var role: RaftRole
        var testDescription: String { "granted by \(granted), refused by \(refused)" }
    }

    /// A candidate in a five-server cluster, its own vote synced, after one round of answers.
    @Test(arguments: [
        RoundCase(granted: [], refused: [], role: .candidate),
        RoundCase(granted: [2], refused: [], role: .candidate),
        RoundCase(granted: [2, 2], refused: [], role: .candidate),  // a duplicate counts once
        RoundCase(granted: [2, 3], refused: [], role: .leader),
        RoundCase(granted: [4], refused: [2, 3, 5], role: .candidate),
        RoundCase(granted: [2, 5], refused: [3, 4], role: .leader),
    ])
    func candidateBecomesLeaderExactlyWhenAMajorityGrants(_ c: RoundCase) {
        var cluster = TestCluster(members: [1, 2, 3, 4, 5])
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.sync(1)
        for voter in c.granted {
            cluster.receive(.requestVoteResponse(.init(term: 1, granted: true)), from: voter, to: 1)
        }
        for voter in c.refused {
            cluster.receive(.requestVoteResponse(.init(term: 1, granted: false)), from: voter, to: 1)
        }
        #expect(cluster[1].role == c.role)
        #expect(cluster[1].term == 1)
    }

    @Test func candidateStepsDownOnAppendEntriesOfAHigherTerm() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.receive(
            .appendEntries(.init(term: 4, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0)),
            from: 3, to: 1)
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].term == 4)
        #expect(cluster[1].votedFor == nil)
        #expect(cluster[1].leaderID == 3)
    }

    @Test func candidateStepsDownOnAVoteResponseOfAHigherTerm() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.receive(.requestVoteResponse(.init(term: 5, granted: false)), from: 2, to: 1)
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].term == 5)
        #expect(cluster[1].votedFor == nil)
        #expect(cluster[1].leaderID == nil)
    }

    @Test func candidateStepsDownOnAppendEntriesOfItsOwnTermFromTheWinner() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.receive(
            .appendEntries(.init(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0)),
            from: 2, to: 1)
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].term == 1)
        #expect(cluster[1].votedFor == 1, "the vote of the term is kept")
        #expect(cluster[1].leaderID == 2)
    }

    @Test func leaderStepsDownOnAMessageOfAHigherTerm() {
        var cluster = clusterWithLeader()
        cluster.receive(.requestVote(.init(term: 7, lastLogIndex: 1, lastLogTerm: 1)), from: 3, to: 1)
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].term == 7)
        #expect(cluster[1].leaderID == nil)
        #expect(cluster[1].votedFor == 3, "the candidate's log is as up to date as the old leader's")
    }

    @Test func aServerVotesAtMostOncePerTerm() {
        var cluster = TestCluster()
        let ask = RaftMessage.requestVote(.init(term: 1, lastLogIndex: 0, lastLogTerm: 0))

        cluster.receive(ask, from: 2, to: 1)
        let first = cluster.sync(1)
        #expect(first.messages.to(2).voteResponses == [.init(term: 1, granted: true)])

        let second = cluster.receive(ask, from: 3, to: 1)
        #expect(second.messages.to(3).voteResponses == [.init(term: 1, granted: false)])
        #expect(cluster[1].votedFor == 2)

        let again = cluster.receive(ask, from: 2, to: 1)
        #expect(
            again.messages.to(2).voteResponses == [.init(term: 1, granted: true)],
            "a retried request gets the same answer")
    }

    @Test func aCandidateDoesNotVoteForAnotherInItsTerm() {
        var cluster = TestCluster()
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.sync(1)
        let out = cluster.receive(.requestVote(.init(term: 1, lastLogIndex: 5, lastLogTerm: 1)), from: 2, to: 1)
        #expect(out.messages.voteResponses == [.init(term: 1, granted: false)])
        #expect(cluster[1].role == .candidate)
    }

    struct VoteCase: Sendable, CustomTestStringConvertible {
        var lastLogIndex: LogIndex
        var lastLogTerm: Term
        var granted: Bool
        var testDescription: String { "candidate log ends at \(lastLogIndex)@\(lastLogTerm)" }
    }

    /// The voter's log ends at 2@2 (entries 1@1, 2@2).
    @Test(arguments: [
        VoteCase(lastLogIndex: 5, lastLogTerm: 1, granted: false),  // longer, but an older last term
        VoteCase(lastLogIndex: 1, lastLogTerm: 2, granted: false),  // same last term, shorter
        VoteCase(lastLogIndex: 0, lastLogTerm: 0, granted: false),  // empty
        VoteCase(lastLogIndex: 2, lastLogTerm: 2, granted: true),  // identical
        VoteCase(lastLogIndex: 3, lastLogTerm: 2, granted: true),  // same last term, longer
        VoteCase(lastLogIndex: 1, lastLogTerm: 3, granted: true),  // shorter, but a later last term
    ])
    func voterRefusesACandidateWhoseLogIsLessUpToDate(_ c: VoteCase) {
        var cluster = TestCluster(disks: [1: .init(term: 2, log: entries(1, 2))])
        cluster.receive(
            .requestVote(.init(term: 3, lastLogIndex: c.lastLogIndex, lastLogTerm: c.lastLogTerm)), from: 2, to: 1)
        let out = cluster.sync(1)
        #expect(out.messages.to(2).voteResponses == [.init(term: 3, granted: c.granted)])
        #expect(cluster[1].term == 3)
        #expect(cluster[1].votedFor == (c.granted ? 2 : nil), "a refusal leaves the vote of the term free")
    }

    @Test func grantingAVoteResetsTheElectionTimerAndRefusingDoesNot() {
        var cluster = TestCluster(disks: [1: .init(term: 2, log: entries(1, 2))])
        let deadline = cluster.wakeAt[1]!
        cluster.now = deadline - .milliseconds(5)

        let refused = cluster.receive(.requestVote(.init(term: 2, lastLogIndex: 9, lastLogTerm: 1)), from: 2, to: 1)
        #expect(refused.messages.voteResponses == [.init(term: 2, granted: false)])
        #expect(refused.wakeAt == deadline)

        let granted = cluster.receive(.requestVote(.init(term: 2, lastLogIndex: 2, lastLogTerm: 2)), from: 3, to: 1)
        #expect(cluster[1].votedFor == 3)
        #expect(granted.wakeAt >= cluster.now + .milliseconds(100))
        #expect(granted.wakeAt <= cluster.now + .milliseconds(200))
    }

    @Test func loneServerElectsItselfOnlyAfterItsSelfVoteIsSynced() {
        var cluster = TestCluster(members: [1])
        cluster.now = cluster.wakeAt[1]!
        let campaign = cluster.tick(1)
        #expect(campaign.messages.isEmpty)
        #expect(campaign.writes.map(\.hardState) == [HardState(term: 1, votedFor: 1)])
        #expect(cluster[1].role == .candidate, "an unsynced vote could be forgotten in a crash")

        let won = cluster.sync(1)
        #expect(cluster[1].role == .leader)
        #expect(won.writes.map(\.entries) == [[.noop(term: 1, index: 1)]])
        #expect(cluster[1].commitIndex == 0, "the no-op is not durable yet")

        let committed = cluster.sync(1)
        #expect(cluster[1].commitIndex == 1)
        #expect(committed.committed == [.noop(term: 1, index: 1)])
    }

    @Test func aClusterElectsExactlyOneLeaderAndKeepsIt() throws {
        var cluster = TestCluster(seed: 9)
        cluster.run(until: .zero + .seconds(3))
        let leaders = cluster.members.filter { cluster[$0].role == .leader }
        #expect(leaders.count == 1)
        let leader = try #require(leaders.first)
        #expect(
            cluster.members.allSatisfy { cluster[$0].term == cluster[leader].term && cluster[$0].leaderID == leader })
        #expect(cluster[leader].term == 1, "heartbeats keep the first leader in place")
    }
}
