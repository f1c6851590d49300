/// Quorum sizes for the two phases of Paxos. Classic Paxos uses a majority for both;
/// Flexible Paxos (Howard, Malkhi, Spiegelman 2016) only needs every phase-1 quorum to
/// intersect every phase-2 quorum, that is Q1 + Q2 > N. A small phase-2 quorum makes the
/// common case (accepts) cheaper at the price of a larger phase-1 quorum (elections).
public struct PaxosQuorums: Hashable, Sendable, CustomStringConvertible {
    public let nodes: Int
    public let phase1: Int
    public let phase2: Int

    /// Majorities for both phases.
    public init(nodes: Int) {
        precondition(nodes >= 1, "a cluster needs at least one node")
        self.nodes = nodes
        self.phase1 = nodes / 2 + 1
        self.phase2 = nodes / 2 + 1
    }

    /// Given sizes (nil: a majority), checked: each in 1...N, and Q1 + Q2 > N.
    public init(nodes: Int, phase1: Int?, phase2: Int?) throws(QuorumError) {
        let majority = PaxosQuorums(nodes: nodes)
        let phase1 = phase1 ?? majority.phase1
        let phase2 = phase2 ?? majority.phase2
        for size in [phase1, phase2] where size < 1 || size > nodes {
            throw QuorumError(message: "a quorum of \(size) is impossible with \(nodes) nodes: give 1...\(nodes)")
        }
        if phase1 + phase2 <= nodes {
            throw QuorumError(
                message:
                    "phase-1 quorum \(phase1) + phase-2 quorum \(phase2) must exceed \(nodes) nodes, or two quorums may not intersect and two values can be chosen"
            )
        }
        self.nodes = nodes
        self.phase1 = phase1
        self.phase2 = phase2
    }

    public var description: String { "Q1=\(phase1), Q2=\(phase2) of \(nodes)" }
}

/// Quorum sizes that cannot keep Paxos safe.
public struct QuorumError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
