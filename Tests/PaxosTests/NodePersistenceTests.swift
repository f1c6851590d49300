import Paxos
import SynodCore
import Testing

/// Persist before you promise, as the node's API enforces it.
@Suite struct NodePersistenceTests {
    let instance = SingleDecree.InstanceID(1)
    let members: [NodeID] = [1, 2, 3]

    func node(_ id: NodeID, bugs: Set<SingleDecree.Bug> = []) -> SingleDecree.Node {
        SingleDecree.Node(
            id: id, members: members,
            configuration: SingleDecree.Configuration(quorums: PaxosQuorums(nodes: 3), bugs: bugs),
            random: SeededGenerator(seed: 1))
    }

    func prepare(_ round: UInt64, from: NodeID = 2) -> Envelope<SingleDecree.Message> {
        Envelope(from: from, to: 1, message: .prepare(instance, Ballot(round: round, node: from)))
    }

    @Test func aPromiseLeavesOnlyAfterItsWriteIsSynced() throws {
        var acceptor = node(1)
        var out = SingleDecree.Output()
        acceptor.receive(prepare(1), at: .zero, into: &out)
        let write = try #require(out.writes.first)
        #expect(write.acceptors.map(\.acceptor.promised) == [Ballot(round: 1, node: 2)])
        #expect(out.messages.isEmpty, "a promise left before its write was synced")
        #expect(acceptor.heldMessageCount == 1)

        out.removeAll()
        acceptor.synced(through: write.id, at: .zero, into: &out)
        #expect(out.messages.map(\.message) == [.promise(instance, Ballot(round: 1, node: 2), accepted: nil)])
    }

    @Test func aRepeatedPromiseWaitsForTheEarlierWriteThatHoldsIt() throws {
        var acceptor = node(1)
        var out = SingleDecree.Output()
        acceptor.receive(prepare(1), at: .zero, into: &out)
        let write = try #require(out.writes.first)
        out.removeAll()
        acceptor.receive(prepare(1), at: .zero, into: &out)
        #expect(out.writes.isEmpty)
        #expect(out.messages.isEmpty, "a duplicate's promise left before the promise was durable")
        out.removeAll()
        acceptor.synced(through: write.id, at: .zero, into: &out)
        #expect(out.messages.count == 2)
    }

    @Test func aRejectionPromisesNothingAndGoesAtOnce() throws {
        var acceptor = node(1)
        var out = SingleDecree.Output()
        acceptor.receive(prepare(5), at: .zero, into: &out)
        out.removeAll()
        acceptor.receive(prepare(2, from: 3), at: .zero, into: &out)
        #expect(out.writes.isEmpty)
        #expect(
            out.messages.map(\.message) == [
                .rejected(instance, Ballot(round: 2, node: 3), promised: Ballot(round: 5, node: 2))
            ])
    }

    @Test func theReplyBeforePersistBugSendsThePromiseWithItsWriteUnsynced() {
        var acceptor = node(1, bugs: [.replyBeforePersist])
        var out = SingleDecree.Output()
        acceptor.receive(prepare(1), at: .zero, into: &out)
        #expect(out.writes.count == 1)
        #expect(out.messages.count == 1)
    }

    @Test func aPrepareWaitsForTheBallotCeilingAndARestartNeverReusesABallot() throws {
        var proposer = node(1)
        var out = SingleDecree.Output()
        proposer.propose(SingleDecree.Value(1), for: instance, at: .zero, into: &out)
        let write = try #require(out.writes.first)
        let ceiling = try #require(write.roundCeiling)
        #expect(out.messages.isEmpty, "a prepare left before its ballot was reserved durably")
        out.removeAll()
        proposer.synced(through: write.id, at: .zero, into: &out)
        #expect(out.messages.count == members.count)
        let first = try #require(proposer.proposer(instance)?.ballot)

        var durable = SingleDecree.DurableState()
        durable.apply(write)
        var restarted = SingleDecree.Node(
            id: 1, members: members, configuration: SingleDecree.Configuration(quorums: PaxosQuorums(nodes: 3)),
            durable: durable, random: SeededGenerator(seed: 2))
        out.removeAll()
        restarted.propose(SingleDecree.Value(2), for: instance, at: .zero, into: &out)
        let second = try #require(restarted.proposer(instance)?.ballot)
        #expect(second > first)
        #expect(second.round > ceiling)
    }

    @Test func threeNodesChooseOneValueWhenEveryMessageAndSyncIsDelivered() throws {
        var nodes = members.map { node($0) }
        var inFlight: [Envelope<SingleDecree.Message>] = []
        var learned: [NodeID: SingleDecree.Proposal] = [:]
        func carry(_ slot: Int, _ out: inout SingleDecree.Output) {
            var pending = out.writes.map(\.id)
            inFlight += out.messages
            for item in out.learned { learned[nodes[slot].id] = item.proposal }
            while let id = pending.popLast() {
                var more = SingleDecree.Output()
                nodes[slot].synced(through: id, at: .zero, into: &more)
                inFlight += more.messages
                for item in more.learned { learned[nodes[slot].id] = item.proposal }
            }
        }
        var out = SingleDecree.Output()
        nodes[0].propose(SingleDecree.Value(11), for: instance, at: .zero, into: &out)
        carry(0, &out)
        out.removeAll()
        nodes[2].propose(SingleDecree.Value(33), for: instance, at: .zero, into: &out)
        carry(2, &out)
        var steps = 0
        while !inFlight.isEmpty, steps < 10_000 {
            let envelope = inFlight.removeFirst()
            let slot = envelope.to.rawValue - 1
            var out = SingleDecree.Output()
            nodes[slot].receive(envelope, at: .zero, into: &out)
            carry(slot, &out)
            steps += 1
        }
        #expect(Set(learned.values.map(\.value)).count == 1, "learners disagree: \(learned)")
        #expect(learned.count == members.count)
    }
}
