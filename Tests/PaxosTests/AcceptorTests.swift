import Paxos
import SynodCore
import Testing

@Suite struct AcceptorTests {
    let instance = SingleDecree.InstanceID(1)

    @Test func promisesOnlyBallotsAtLeastItsPromise() {
        var acceptor = SingleDecree.Acceptor()
        let first = acceptor.prepare(instance, Ballot(round: 2, node: 1))
        #expect(first == .init(reply: .promise(instance, Ballot(round: 2, node: 1), accepted: nil), changed: true))
        let lower = acceptor.prepare(instance, Ballot(round: 1, node: 3))
        #expect(
            lower
                == .init(
                    reply: .rejected(instance, Ballot(round: 1, node: 3), promised: Ballot(round: 2, node: 1)),
                    changed: false))
        // A duplicated prepare is promised again without a new write.
        let again = acceptor.prepare(instance, Ballot(round: 2, node: 1))
        #expect(again.changed == false)
        #expect(again.reply == .promise(instance, Ballot(round: 2, node: 1), accepted: nil))
        #expect(acceptor.promised == Ballot(round: 2, node: 1))
    }

    @Test func rejectsAcceptsBelowItsPromiseAndReportsWhatItAccepted() {
        var acceptor = SingleDecree.Acceptor()
        _ = acceptor.prepare(instance, Ballot(round: 3, node: 2))
        let stale = SingleDecree.Proposal(ballot: Ballot(round: 2, node: 1), value: SingleDecree.Value(7))
        let staleAnswer = acceptor.accept(instance, stale)
        #expect(staleAnswer.changed == false)
        #expect(acceptor.accepted == nil)

        let current = SingleDecree.Proposal(ballot: Ballot(round: 3, node: 2), value: SingleDecree.Value(8))
        let currentAnswer = acceptor.accept(instance, current)
        #expect(currentAnswer == .init(reply: .accepted(instance, current), changed: true))
        let later = acceptor.prepare(instance, Ballot(round: 4, node: 1))
        #expect(later.reply == .promise(instance, Ballot(round: 4, node: 1), accepted: current))
    }

    @Test func acceptingAHigherBallotRaisesThePromise() {
        var acceptor = SingleDecree.Acceptor()
        _ = acceptor.prepare(instance, Ballot(round: 1, node: 1))
        let proposal = SingleDecree.Proposal(ballot: Ballot(round: 5, node: 2), value: SingleDecree.Value(1))
        let higherAnswer = acceptor.accept(instance, proposal)
        #expect(higherAnswer.changed)
        #expect(acceptor.promised == Ballot(round: 5, node: 2))
        let lowerPrepare = acceptor.prepare(instance, Ballot(round: 4, node: 3))
        #expect(lowerPrepare.changed == false)
    }
}

@Suite struct LearnerTests {
    @Test func learnsOnlyWhenAPhase2QuorumAcceptedTheSameBallot() throws {
        let quorums = try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2)
        var learner = SingleDecree.Learner(quorums: quorums)
        let a = SingleDecree.Proposal(ballot: Ballot(round: 1, node: 1), value: SingleDecree.Value(1))
        let b = SingleDecree.Proposal(ballot: Ballot(round: 2, node: 2), value: SingleDecree.Value(1))
        let firstVote = learner.accepted(by: 1, a)
        #expect(firstVote == nil)
        // Same value, another ballot: not the same vote.
        let otherBallot = learner.accepted(by: 2, b)
        #expect(otherBallot == nil)
        // The same acceptor twice (a duplicated message) counts once.
        let duplicate = learner.accepted(by: 1, a)
        #expect(duplicate == nil)
        let quorum = learner.accepted(by: 3, a)
        #expect(quorum == a)
        #expect(learner.learned == a)
    }

    @Test func majorityLearnerNeedsThree() {
        var learner = SingleDecree.Learner(quorums: PaxosQuorums(nodes: 5))
        let p = SingleDecree.Proposal(ballot: Ballot(round: 1, node: 1), value: SingleDecree.Value(9))
        let one = learner.accepted(by: 1, p)
        #expect(one == nil)
        let two = learner.accepted(by: 2, p)
        #expect(two == nil)
        let three = learner.accepted(by: 5, p)
        #expect(three == p)
    }
}
