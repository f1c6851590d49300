import Paxos
import SynodCore
import Testing

@Suite struct BallotTests {
    @Test func orderedByRoundThenNode() {
        #expect(Ballot.zero < Ballot(round: 1, node: 1))
        #expect(Ballot(round: 1, node: 2) < Ballot(round: 2, node: 1))
        #expect(Ballot(round: 3, node: 1) < Ballot(round: 3, node: 2))
        #expect(Ballot(round: 3, node: 2).next(for: 1) == Ballot(round: 4, node: 1))
        #expect(Ballot(round: 3, node: 2).next(for: 1) > Ballot(round: 3, node: 2))
    }
}

@Suite struct PaxosQuorumsTests {
    @Test func flexibleQuorumsMustIntersect() throws {
        let majority = PaxosQuorums(nodes: 5)
        #expect(majority.phase1 == 3 && majority.phase2 == 3)
        let flexible = try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2)
        #expect(flexible.phase1 == 4 && flexible.phase2 == 2)
        #expect(throws: QuorumError.self) { try PaxosQuorums(nodes: 5, phase1: 2, phase2: 3) }
        #expect(throws: QuorumError.self) { try PaxosQuorums(nodes: 5, phase1: 6, phase2: 1) }
        #expect(throws: QuorumError.self) { try PaxosQuorums(nodes: 3, phase1: 0, phase2: 3) }
    }
}
