import Raft
import SynodCore
import Testing

/// Generation Clock: every server adopts the highest term it sees, and a message of an
/// older term changes nothing but tells its sender the current term (§5.1).
@Suite struct TermTests {
    @Test func aFreshServerIsAFollowerOfTermZero() {
        let cluster = TestCluster()
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].term == 0)
        #expect(cluster[1].votedFor == nil)
        #expect(cluster[1].leaderID == nil)
        #expect(cluster[1].log.lastIndex == 0)
    }

    @Test(arguments: [
        RaftMessage.requestVote(.init(term: 5, lastLogIndex: 0, lastLogTerm: 0)),
        .requestVoteResponse(.init(term: 5, granted: false)),
        .appendEntries(.init(term: 5, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0)),
        .appendEntriesResponse(.rejected(term: 5, rejectedIndex: 0, conflictIndex: 1, conflictTerm: nil)),
    ])
    func everyRoleAdoptsAHigherTermFromAnyMessage(message: RaftMessage) {
        for role in [RaftRole.follower, .candidate, .leader] {
            var cluster = TestCluster(disks: [1: .init(term: 2)])
            switch role {
            case .follower: break
            case .candidate:
                cluster.now = cluster.wakeAt[1]!
                cluster.tick(1)
            case .leader: cluster.elect(1)
            case .preCandidate: break
            }
            #expect(cluster[1].role == role)
            let out = cluster.receive(message, from: 2, to: 1)
            #expect(cluster[1].term == 5, "\(role)")
            #expect(cluster[1].role == .follower, "\(role)")
            #expect(out.writes.first?.hardState?.term == 5, "the new term is made durable")
        }
    }

    @Test func staleAppendEntriesIsRefusedWithTheCurrentTermAndChangesNothing() {
        var cluster = TestCluster(disks: [1: .init(term: 3, log: entries(1, 3))])
        cluster.receive(
            .appendEntries(.init(term: 3, prevLogIndex: 2, prevLogTerm: 3, entries: [], leaderCommit: 0)), from: 3,
            to: 1)
        let deadline = cluster.wakeAt[1]!
        cluster.now = cluster.now + .milliseconds(50)

        let out = cluster.receive(
            .appendEntries(.init(term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: entries(2), leaderCommit: 1)),
            from: 2, to: 1)
        #expect(out.messages.appendResponses.map(\.term) == [3])
        #expect(out.messages.appendResponses.map(\.success) == [false])
        #expect(out.writes.isEmpty)
        #expect(cluster[1].log.terms == [1, 3])
        #expect(cluster[1].commitIndex == 0)
        #expect(cluster[1].leaderID == 3)
        #expect(out.wakeAt == deadline, "a stale leader does not hold off an election")
    }

    @Test func staleRequestVoteIsRefusedWithTheCurrentTerm() {
        var cluster = TestCluster(disks: [1: .init(term: 3)])
        let out = cluster.receive(.requestVote(.init(term: 2, lastLogIndex: 9, lastLogTerm: 2)), from: 2, to: 1)
        #expect(out.messages.voteResponses == [.init(term: 3, granted: false)])
        #expect(cluster[1].votedFor == nil)
    }

    @Test func leaderIgnoresResponsesOfAnOlderTerm() {
        var cluster = TestCluster(disks: [1: .init(term: 2), 2: .init(term: 2), 3: .init(term: 2)])
        cluster.elect(1)
        #expect(cluster[1].term == 3)
        cluster.propose([1], on: 1)
        _ = cluster.take()
        cluster.sync(1)
        let out = cluster.receive(.appendEntriesResponse(.accepted(term: 2, matchIndex: 2)), from: 2, to: 1)
        #expect(out.messages.isEmpty)
        #expect(cluster[1].commitIndex == 1, "an acknowledgement from term 2 says nothing about term 3")
        #expect(cluster[1].role == .leader)
    }
}
