import Paxos
import SynodCore
import Testing

@Suite struct ProposerTests {
    let instance = SingleDecree.InstanceID(3)
    let own = SingleDecree.Value(100)

    func proposer(_ quorums: PaxosQuorums = PaxosQuorums(nodes: 5), bugs: Set<SingleDecree.Bug> = [])
        -> SingleDecree.Proposer
    {
        SingleDecree.Proposer(instance: instance, value: own, quorums: quorums, startAt: .zero, bugs: bugs)
    }

    @Test func adoptsTheValueOfTheHighestAcceptedBallotAmongPromises() {
        var proposer = proposer()
        let ballot = Ballot(round: 9, node: 1)
        let prepare = proposer.start(ballot, timeout: .distantFuture)
        #expect(prepare == .prepare(instance, ballot))
        let older = SingleDecree.Proposal(ballot: Ballot(round: 2, node: 4), value: SingleDecree.Value(1))
        let newer = SingleDecree.Proposal(ballot: Ballot(round: 5, node: 2), value: SingleDecree.Value(2))
        let afterOlder = proposer.promised(by: 2, ballot, accepted: older, timeout: .distantFuture)
        #expect(afterOlder == nil)
        let afterNewer = proposer.promised(by: 3, ballot, accepted: newer, timeout: .distantFuture)
        #expect(afterNewer == nil)
        let accept = proposer.promised(by: 4, ballot, accepted: nil, timeout: .distantFuture)
        #expect(accept == .accept(instance, SingleDecree.Proposal(ballot: ballot, value: newer.value)))
    }

    @Test func proposesItsOwnValueWhenNoPromiseReportsOne() {
        var proposer = proposer()
        let ballot = Ballot(round: 1, node: 1)
        _ = proposer.start(ballot, timeout: .distantFuture)
        for acceptor in [1, 2] {
            let early = proposer.promised(by: NodeID(acceptor), ballot, accepted: nil, timeout: .distantFuture)
            #expect(early == nil)
        }
        // A duplicate does not complete the quorum.
        let duplicate = proposer.promised(by: 2, ballot, accepted: nil, timeout: .distantFuture)
        #expect(duplicate == nil)
        let accept = proposer.promised(by: 5, ballot, accepted: nil, timeout: .distantFuture)
        #expect(accept == .accept(instance, SingleDecree.Proposal(ballot: ballot, value: own)))
    }

    @Test func theIgnoreAcceptedBugProposesItsOwnValueAnyway() {
        var proposer = proposer(bugs: [.ignoreAccepted])
        let ballot = Ballot(round: 4, node: 1)
        _ = proposer.start(ballot, timeout: .distantFuture)
        let chosen = SingleDecree.Proposal(ballot: Ballot(round: 3, node: 2), value: SingleDecree.Value(1))
        for acceptor in [1, 2] {
            _ = proposer.promised(by: NodeID(acceptor), ballot, accepted: chosen, timeout: .distantFuture)
        }
        let accept = proposer.promised(by: 3, ballot, accepted: chosen, timeout: .distantFuture)
        #expect(accept == .accept(instance, SingleDecree.Proposal(ballot: ballot, value: own)))
    }

    @Test func flexibleQuorumsSetHowManyPromisesAndAcceptsItTakes() throws {
        var proposer = proposer(try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2))
        let ballot = Ballot(round: 1, node: 1)
        _ = proposer.start(ballot, timeout: .distantFuture)
        for acceptor in 1...3 {
            let early = proposer.promised(by: NodeID(acceptor), ballot, accepted: nil, timeout: .distantFuture)
            #expect(early == nil)
        }
        let accept = proposer.promised(by: 4, ballot, accepted: nil, timeout: .distantFuture)
        #expect(accept != nil)
        let proposal = SingleDecree.Proposal(ballot: ballot, value: own)
        let oneAccept = proposer.accepted(by: 5, proposal)
        #expect(oneAccept == false)
        let twoAccepts = proposer.accepted(by: 1, proposal)
        #expect(twoAccepts == true)
        #expect(proposer.isChosen)
    }

    @Test func aRejectionEndsOnlyTheRoundItNames() {
        var proposer = proposer()
        let ballot = Ballot(round: 2, node: 1)
        _ = proposer.start(ballot, timeout: .distantFuture)
        let staleRejection = proposer.rejected(Ballot(round: 1, node: 1), promised: Ballot(round: 3, node: 2))
        #expect(staleRejection == false)
        #expect(proposer.highestSeen == Ballot(round: 3, node: 2))
        let currentRejection = proposer.rejected(ballot, promised: Ballot(round: 3, node: 2))
        #expect(currentRejection)
        proposer.fail(retryAt: .zero + .milliseconds(5))
        #expect(proposer.phase == .idle)
        #expect(proposer.failures == 1)
        #expect(proposer.deadline == .zero + .milliseconds(5))
    }
}
