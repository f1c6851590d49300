import Raft
import SynodCore
import Testing

/// ReadIndex, leader leases and follower ReadIndex (Raft thesis §6.4).
@Suite struct ReadTests {
    /// A three-server cluster with 1 leading under the default safeguards.
    static func cluster() -> TestCluster {
        var cluster = TestCluster(elections: .prevoteCheckquorum)
        cluster.elect(1)
        cluster.settle()
        return cluster
    }

    static func read(
        _ cluster: inout TestCluster, on id: NodeID, _ readID: UInt64, _ confirmation: ReadConfirmation
    ) -> RaftOutput {
        var node = cluster[id]
        var out = RaftOutput()
        node.read(readID, confirmation: confirmation, at: cluster.now, into: &out)
        cluster.replace(id, with: node, output: out)
        return out
    }

    @Test func readIndexWaitsForAMajorityToAnswerAHeartbeatRound() {
        var cluster = Self.cluster()
        let asked = Self.read(&cluster, on: 1, 7, .readIndex)
        #expect(asked.reads.isEmpty, "no read point before a round is answered")
        #expect(asked.messages.appends.count == 2, "the round goes to every follower at once")
        let round = asked.messages.appendRounds[0]
        #expect(round > 0)
        // One follower's answer makes a majority of three with the leader.
        let answered = cluster.deliverAll(to: 2)
        #expect(answered.messages.responseRounds == [round])
        let released = cluster.deliverAll(to: 1)
        #expect(released.reads == [ReadState(id: 7, index: cluster[1].commitIndex)])
    }

    @Test func aLeaseReadNeedsNoRoundWhileTheLeaseHolds() {
        var cluster = Self.cluster()
        let out = Self.read(&cluster, on: 1, 3, .lease)
        #expect(out.reads == [ReadState(id: 3, index: cluster[1].commitIndex)])
        #expect(out.messages.isEmpty)
    }

    @Test func aLeaseExpiresWhenTheFollowersFallSilent() {
        var cluster = Self.cluster()
        cluster.now = cluster.now + RaftConfiguration().leaseDuration
        let out = Self.read(&cluster, on: 1, 3, .lease)
        #expect(out.reads.isEmpty, "the lease ran out: fall back to a round")
        #expect(out.messages.appends.count == 2)
    }

    @Test func noLeaseReadsWithoutCheckQuorumOrDuringATransfer() {
        var plain = TestCluster(elections: .prevote)
        plain.elect(1)
        plain.settle()
        #expect(Self.read(&plain, on: 1, 1, .lease).reads.isEmpty)

        var cluster = Self.cluster()
        cluster.crash(3)
        var node = cluster[1]
        var out = RaftOutput()
        #expect(node.transferLeadership(to: 3, at: cluster.now, into: &out))
        out.removeAll()
        node.read(2, confirmation: .lease, at: cluster.now, into: &out)
        #expect(out.reads.isEmpty, "the transfer's target may be elected at once")
    }

    @Test func aNewLeaderAnswersNoReadUntilItsOwnTermHasAnEntryCommitted() {
        var cluster = TestCluster(elections: .prevoteCheckquorum)
        cluster.now = cluster.wakeAt[1]!
        cluster.tick(1)
        cluster.settle(dropping: { $0.message.appendResponse != nil })
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].commitIndex == 0)
        _ = Self.read(&cluster, on: 1, 5, .readIndex)
        cluster.settle(dropping: { $0.message.appendResponse?.matchIndex ?? 0 > 0 })
        #expect(cluster.released(1).isEmpty, "the no-op is not committed yet")
        cluster.run(until: cluster.now + .milliseconds(50))
        #expect(cluster[1].commitIndex >= 1)
        #expect(cluster.released(1).map(\.id) == [5])
    }

    @Test func aFollowerAsksTheLeaderForTheReadIndex() {
        var cluster = Self.cluster()
        let asked = Self.read(&cluster, on: 2, 9, .readIndex)
        #expect(asked.messages.map(\.to) == [1])
        cluster.settle()
        #expect(cluster.released(2) == [ReadState(id: 9, index: cluster[1].commitIndex)])
    }

    @Test func aLeaderThatStepsDownFailsItsWaitingReads() {
        var cluster = Self.cluster()
        _ = Self.read(&cluster, on: 1, 4, .readIndex)
        let out = cluster.receive(
            .appendEntries(.init(term: 9, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0)), from: 2,
            to: 1)
        #expect(cluster[1].role == .follower)
        #expect(out.failedReads == [4])
    }
}
