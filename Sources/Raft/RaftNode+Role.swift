import SynodCore

/// A server's role with the state only that role keeps (Leader and Followers): a
/// leader's view of its followers and a candidate's votes live in the role's case, so
/// code running on another role cannot reach them.
enum RoleState: Sendable {
    case follower
    case preCandidate(CandidateState)
    case candidate(CandidateState)
    case leader(LeaderState)

    var role: RaftRole {
        switch self {
        case .follower: .follower
        case .preCandidate: .preCandidate
        case .candidate: .candidate
        case .leader: .leader
        }
    }
}

extension RaftNode {
    /// What `read` makes of the leader's state, borrowed rather than copied; nil unless
    /// this server leads.
    @inline(__always)
    func leading<Result>(_ read: (borrowing LeaderState) -> Result) -> Result? {
        switch roleState {
        case .leader(let state): read(state)
        default: nil
        }
    }

    /// Changes the leader's state in place and returns what `change` returns; nil, and
    /// nothing changed, unless this server leads.
    @discardableResult @inline(__always)
    mutating func asLeader<Result>(_ change: (inout LeaderState) -> Result) -> Result? {
        guard case .leader(var state) = roleState else { return nil }
        // Out of the enum while it changes, so that its arrays are not copied.
        roleState = .follower
        defer { roleState = .leader(state) }
        return change(&state)
    }

    /// Records a vote for this pre-candidate or candidate and returns whether a quorum
    /// has now voted; false on any other role.
    mutating func countVote(from voter: NodeID, preVote: Bool) -> Bool {
        switch roleState {
        case .preCandidate(var state) where preVote:
            state.votes.insert(voter)
            roleState = .preCandidate(state)
            return quorum.isReached(byVotersIn: state.votes)
        case .candidate(var state) where !preVote:
            state.votes.insert(voter)
            roleState = .candidate(state)
            return quorum.isReached(byVotersIn: state.votes)
        default:
            return false
        }
    }
}
