import Paxos
import SynodCore
import Testing

@Suite struct MultiPaxosLeadershipTests {
    @Test func phaseOneRunsOncePerLeaderNotPerSlot() {
        var cluster = MultiPaxosTestCluster()
        cluster.elect(1)
        #expect(cluster.node(1).role == .leader)
        let preparesAfterElection = cluster.count { $0.isPrepare }
        #expect(preparesAfterElection == 4)
        for i in 1...20 {
            guard case .accepted(let slot, _) = cluster.propose(1, "c\(i)") else {
                Issue.record("the leader refused a proposal")
                return
            }
            #expect(slot == LogIndex(UInt64(i)))
        }
        cluster.deliverAll()
        cluster.advance(.milliseconds(15))
        cluster.deliverAll()
        #expect(cluster.count { $0.isPrepare } == preparesAfterElection)
        for id in 1...5 { #expect(cluster.texts(id) == (1...20).map { "c\($0)" }) }
    }

    @Test func followersRefuseProposalsAndNameTheLeader() {
        var cluster = MultiPaxosTestCluster()
        cluster.elect(2)
        cluster.advance(.milliseconds(15))
        cluster.deliverAll()
        #expect(cluster.propose(4, "x") == .rejected(leaderHint: NodeID(2)))
    }

    @Test func aLeaderCutOffStepsDownAndItsOldBallotIsRejected() {
        var cluster = MultiPaxosTestCluster(nodes: 3, quorums: PaxosQuorums(nodes: 3), seed: 3)
        cluster.elect(1)
        let first = cluster.node(1).ballot
        cluster.isolate(1)
        cluster.advance(.milliseconds(250))
        cluster.deliverAll()
        #expect(cluster.node(1).role != .leader)  // it heard no phase-2 quorum
        guard let next = [2, 3].first(where: { cluster.node($0).role == .leader }) else {
            Issue.record("no new leader")
            return
        }
        #expect(cluster.node(next).ballot > first)
        cluster.reconnect(1)
        // An Accept still in flight from the old ballot is refused with the new promise.
        let stale = Accept(
            ballot: first, entries: [LogEntry(term: first.generation, index: 1, data: Array("stale".utf8))],
            commit: .zero)
        cluster.queue.append(Envelope(from: NodeID(1), to: NodeID(next), message: .accept(stale)))
        cluster.deliverAll()
        let rejected = cluster.sent.contains {
            if case .reject(let reject) = $0.message {
                reject.ballot == first && reject.promised > first
            } else {
                false
            }
        }
        #expect(rejected)
        cluster.advance(.milliseconds(15))
        cluster.deliverAll()
        #expect(cluster.propose(1, "x") == .rejected(leaderHint: NodeID(next)))
    }
}

@Suite struct MultiPaxosRecoveryTests {
    /// Leader 1 chooses slot 1, loses slot 2 on the way (only it accepts), and slot 3
    /// reaches servers 2 and 3 only: a minority. Server 2 takes over with promises from
    /// 2, 3, 4: it proposes 3's value again and fills the gap at 2 with a no-op.
    @Test func newLeaderFillsGapsWithNoopsAndReproposesAcceptedValues() {
        var cluster = MultiPaxosTestCluster()
        cluster.elect(1)
        _ = cluster.propose(1, "A")
        cluster.deliverAll()
        cluster.isolate(1)
        _ = cluster.propose(1, "B")
        cluster.deliverAll()
        cluster.reconnect(1)
        for peer in [4, 5] { cluster.cut.insert([1, peer]) }
        _ = cluster.propose(1, "C")
        cluster.deliverAll()
        #expect(cluster.node(2).log[LogIndex(3)].accepted != nil)
        #expect(cluster.node(1).commitIndex < LogIndex(3))
        cluster.nodes[0] = nil  // server 1 crashes
        cluster.advance(.milliseconds(250))
        cluster.elect(2)
        #expect(cluster.node(2).role == .leader)
        cluster.advance(.milliseconds(15))
        cluster.deliverAll()
        #expect(cluster.texts(2) == ["A", "·", "C"])
        for id in 3...5 { #expect(cluster.texts(id) == ["A", "·", "C"]) }
        // The re-proposed value keeps the identity it was first proposed with.
        #expect(cluster.node(2).log[LogIndex(3)].chosen?.term == Ballot(round: 1, node: 1).generation)
    }

    /// Two values accepted in one slot in different ballots, each by a minority: the
    /// next leader must take the one of the higher ballot, which may have been chosen.
    @Test func newLeaderTakesTheValueOfTheHighestBallot() {
        var cluster = MultiPaxosTestCluster()
        cluster.elect(1)
        for peer in [3, 4, 5] { cluster.cut.insert([1, peer]) }
        _ = cluster.propose(1, "old")  // accepted by 1 and 2
        cluster.deliverAll()
        cluster.nodes[0] = nil
        cluster.cut.insert([2, 3])
        cluster.cut.insert([3, 2])
        cluster.elect(3)  // promises from 3, 4, 5: slot 1 looks empty
        #expect(cluster.node(3).role == .leader)
        cluster.cut.insert([3, 5])
        _ = cluster.propose(3, "new")  // accepted by 3 and 4, in a higher ballot
        cluster.deliverAll()
        cluster.nodes[2] = nil
        cluster.elect(5)  // promises from 2 (old), 4 (new) and 5
        #expect(cluster.node(5).role == .leader)
        cluster.advance(.milliseconds(15))
        cluster.deliverAll()
        #expect(cluster.texts(5) == ["new"])
        #expect(cluster.texts(2) == ["new"])
    }

    @Test func restartedAcceptorKeepsItsPromiseAndAcceptedValues() {
        var cluster = MultiPaxosTestCluster(nodes: 3, quorums: PaxosQuorums(nodes: 3))
        cluster.elect(1)
        _ = cluster.propose(1, "kept")
        cluster.deliverAll()
        let promised = cluster.node(2).promised
        cluster.restart(2)
        #expect(cluster.node(2).promised == promised)
        #expect(cluster.node(2).log[LogIndex(1)].accepted.map { String(decoding: $0.data, as: UTF8.self) } == "kept")
        #expect(cluster.node(2).commitIndex == .zero)
    }
}

@Suite struct MultiPaxosCatchUpTests {
    @Test func aFollowerThatMissedSlotsLearnsThemFromHeartbeats() {
        var cluster = MultiPaxosTestCluster()
        cluster.elect(1)
        cluster.isolate(5)
        for i in 1...100 { _ = cluster.propose(1, "c\(i)") }
        cluster.deliverAll()
        #expect(cluster.node(5).commitIndex == .zero)
        cluster.reconnect(5)
        for _ in 0..<5 {
            cluster.advance(.milliseconds(15))
            cluster.deliverAll()
        }
        #expect(cluster.node(5).commitIndex == LogIndex(100))
        #expect(cluster.texts(5) == cluster.texts(1))
    }

    @Test func aRestartedFollowerRelearnsWhatWasChosen() {
        var cluster = MultiPaxosTestCluster(nodes: 3, quorums: PaxosQuorums(nodes: 3))
        cluster.elect(1)
        for i in 1...10 { _ = cluster.propose(1, "c\(i)") }
        cluster.deliverAll()
        cluster.restart(3)
        for _ in 0..<3 {
            cluster.advance(.milliseconds(15))
            cluster.deliverAll()
        }
        #expect(cluster.texts(3) == (1...10).map { "c\($0)" })
    }
}

@Suite struct MultiPaxosQuorumTests {
    /// Flexible Paxos with Q1 = 4, Q2 = 2 of 5: the leader and one acceptor choose a slot,
    /// but phase 1 needs four promises.
    @Test func flexibleQuorumsChooseWithTwoAndElectWithFour() throws {
        let quorums = try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2)
        var cluster = MultiPaxosTestCluster(nodes: 5, quorums: quorums)
        cluster.elect(1)
        #expect(cluster.node(1).role == .leader)
        for peer in [3, 4, 5] { cluster.cut.insert([1, peer]) }
        _ = cluster.propose(1, "two-acceptors")
        cluster.deliverAll()
        #expect(cluster.node(1).commitIndex == LogIndex(1))

        var small = MultiPaxosTestCluster(nodes: 5, quorums: quorums, seed: 2)
        for peer in [4, 5] {
            small.cut.insert([1, peer])
            small.cut.insert([peer, 1])
        }
        small.elect(1)
        #expect(small.node(1).role == .candidate)
    }

    @Test func majorityQuorumsNeedThreeAcceptsOfFive() {
        var cluster = MultiPaxosTestCluster()
        cluster.elect(1)
        for peer in [3, 4, 5] { cluster.cut.insert([1, peer]) }
        _ = cluster.propose(1, "x")
        cluster.deliverAll()
        #expect(cluster.node(1).commitIndex == .zero)
        cluster.cut.remove([1, 3])
        cluster.advance(.milliseconds(25))  // the unanswered accept goes again
        cluster.deliverAll()
        #expect(cluster.node(1).commitIndex == LogIndex(1))
    }
}

@Suite struct MultiPaxosPersistenceTests {
    @Test func promiseAndAcceptedLeaveOnlyAfterTheSync() {
        var cluster = MultiPaxosTestCluster(nodes: 3, quorums: PaxosQuorums(nodes: 3))
        cluster.syncManually = [2]
        cluster.elect(1)
        #expect(cluster.count { $0.isPromise && $0.ballot == cluster.node(1).ballot } == 1)  // from 3 only
        #expect(cluster.node(2).heldMessageCount == 1)
        cluster.sync(2)
        cluster.deliverAll()
        #expect(cluster.count { $0.isPromise } == 2)
        _ = cluster.propose(1, "x")
        cluster.deliverAll()
        #expect(cluster.node(2).heldMessageCount == 1)
        #expect(cluster.durable[1].accepted.isEmpty)
    }

    @Test func readsWaitForAQuorumRoundAndFailOffTheLeader() {
        var cluster = MultiPaxosTestCluster(nodes: 3, quorums: PaxosQuorums(nodes: 3))
        cluster.elect(1)
        _ = cluster.propose(1, "x")
        cluster.deliverAll()
        var ready: [ReadState] = []
        var failed: [UInt64] = []
        cluster.isolate(1)
        var out = MultiPaxosOutput()
        cluster.nodes[0]!.read(7, at: cluster.now, into: &out)
        #expect(out.reads.isEmpty)
        cluster.handle(1, out)
        cluster.reconnect(1)
        cluster.advance(.milliseconds(15))
        var outs: [MultiPaxosOutput] = []
        while !cluster.queue.isEmpty {
            let envelope = cluster.queue.removeFirst()
            var next = MultiPaxosOutput()
            cluster.nodes[envelope.to.rawValue - 1]!.receive(envelope, at: cluster.now, into: &next)
            outs.append(next)
            cluster.handle(envelope.to.rawValue, next)
        }
        for o in outs { ready += o.reads }
        #expect(ready.map(\.id) == [7])
        #expect(ready.first?.index == LogIndex(1))
        var follower = MultiPaxosOutput()
        cluster.nodes[1]!.read(8, at: cluster.now, into: &follower)
        failed = follower.failedReads
        #expect(failed == [8])
    }
}

@Suite struct MultiPaxosReelectionTests {
    /// A new leader whose phase 1 finds nothing above its High-Water Mark proposes after
    /// it, never in a chosen slot (a seeded swarm run found this: seed 20 of
    /// `synod sim --protocol multipaxos`).
    @Test func newProposalsGoAfterTheChosenPrefix() {
        var cluster = MultiPaxosTestCluster(nodes: 3, quorums: PaxosQuorums(nodes: 3))
        cluster.elect(1)
        for i in 1...3 { _ = cluster.propose(1, "c\(i)") }
        cluster.deliverAll()
        cluster.advance(.milliseconds(15))
        cluster.deliverAll()
        #expect(cluster.node(2).commitIndex == LogIndex(3))
        cluster.nodes[0] = nil
        cluster.elect(2)
        #expect(cluster.node(2).role == .leader)
        guard case .accepted(let slot, _) = cluster.propose(2, "next") else {
            Issue.record("the new leader refused a proposal")
            return
        }
        #expect(slot == LogIndex(4))
    }
}
