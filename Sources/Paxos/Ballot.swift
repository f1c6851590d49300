import SynodCore

/// A Paxos ballot (proposal number): the Generation Clock of Paxos. Ballots are ordered
/// by round, then by the proposer's id, so two proposers never use the same ballot and
/// any proposer can always pick one higher than every ballot it has seen.
public struct Ballot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var round: UInt64
    public var node: NodeID?

    public init(round: UInt64, node: NodeID?) {
        self.round = round
        self.node = node
    }

    /// Below every ballot a proposer can use: what an acceptor has promised before it
    /// promises anything.
    public static let zero = Ballot(round: 0, node: nil)

    /// The smallest ballot of `node` above `self`.
    public func next(for node: NodeID) -> Ballot { Ballot(round: round + 1, node: node) }

    public static func < (lhs: Ballot, rhs: Ballot) -> Bool {
        if lhs.round != rhs.round { return lhs.round < rhs.round }
        return (lhs.node?.rawValue ?? 0) < (rhs.node?.rawValue ?? 0)
    }

    public var description: String { node.map { "\(round).\($0.rawValue)" } ?? "\(round)" }
}
