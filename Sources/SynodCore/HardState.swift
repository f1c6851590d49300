/// What a Raft server must never forget across a crash: its term and whom it voted
/// for in that term. Forgetting the vote would let it vote twice in one term.
public struct HardState: Sendable, Equatable, CustomStringConvertible {
    public var term: Term
    public var votedFor: NodeID?

    public init(term: Term = .zero, votedFor: NodeID? = nil) {
        self.term = term
        self.votedFor = votedFor
    }

    public var description: String { "term=\(term) vote=\(votedFor.map { "\($0)" } ?? "-")" }
}
