import SynodCore

extension MultiPaxosNode {
    /// A server's role with the state only that role keeps: a candidate's promises and a
    /// leader's slots in flight live in the role's case, so code running on another role
    /// cannot reach them.
    enum RoleState: Sendable {
        case follower
        case candidate(CandidateState)
        case leader(LeaderState)

        var role: MultiPaxosRole {
            switch self {
            case .follower: .follower
            case .candidate: .candidate
            case .leader: .leader
            }
        }
    }

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
        // Out of the enum while it changes, so that its collections are not copied.
        roleState = .follower
        defer { roleState = .leader(state) }
        return change(&state)
    }

    /// Changes the candidate's state in place; nil, and nothing changed, unless this
    /// server runs phase 1.
    @discardableResult @inline(__always)
    mutating func asCandidate<Result>(_ change: (inout CandidateState) -> Result) -> Result? {
        guard case .candidate(var state) = roleState else { return nil }
        roleState = .follower
        defer { roleState = .candidate(state) }
        return change(&state)
    }
}
