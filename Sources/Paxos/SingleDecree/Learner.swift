import SynodCore

extension SingleDecree {
    /// A learner of one instance: a value is chosen once a phase-2 quorum of acceptors
    /// accepted it in the same ballot, so the learner counts acceptances per ballot.
    public struct Learner: Sendable {
        public let quorums: PaxosQuorums
        /// The chosen proposal, once learned.
        public internal(set) var learned: Proposal?
        /// Acceptances heard per ballot, in the order the ballots were first heard of.
        var votes: [(proposal: Proposal, acceptors: [NodeID])] = []

        public init(quorums: PaxosQuorums) { self.quorums = quorums }

        /// An acceptor accepted `proposal`. Returns the proposal when this completes the
        /// first phase-2 quorum the learner sees.
        public mutating func accepted(by acceptor: NodeID, _ proposal: Proposal) -> Proposal? {
            guard learned == nil else { return nil }
            let index: Int
            if let found = votes.firstIndex(where: { $0.proposal.ballot == proposal.ballot }) {
                index = found
            } else {
                votes.append((proposal, []))
                index = votes.count - 1
            }
            // A ballot carries one value (its proposer sends one): a second value in the
            // same ballot is never counted with the first.
            guard votes[index].proposal == proposal, !votes[index].acceptors.contains(acceptor) else { return nil }
            votes[index].acceptors.append(acceptor)
            guard votes[index].acceptors.count >= quorums.phase2 else { return nil }
            learned = proposal
            votes = []
            return proposal
        }
    }
}
