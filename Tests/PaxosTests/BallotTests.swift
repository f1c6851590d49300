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
