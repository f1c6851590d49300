import SynodCore

extension Ballot {
    /// The ballot packed into one `Term`, ordered exactly as ballots are (round, then
    /// node id; ids below 65536). Multi-Paxos stamps each value it proposes with the
    /// generation of the ballot that first proposed it, so that a value keeps its
    /// identity when a later leader re-proposes it, and the state machine, the clients
    /// and the checkers can compare entries of both protocols the same way.
    public var generation: Term {
        precondition((node?.rawValue ?? 0) < 1 << 16, "node ids of a ballot must be below 65536")
        return Term(round << 16 | UInt64(node?.rawValue ?? 0))
    }

    /// The ballot a generation was packed from.
    public init(generation: Term) {
        let node = Int(generation.rawValue & 0xFFFF)
        self.init(round: generation.rawValue >> 16, node: node == 0 ? nil : NodeID(node))
    }
}
