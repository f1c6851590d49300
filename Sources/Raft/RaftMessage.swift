import SynodCore

/// The messages Raft servers exchange (Raft paper, Figure 2). The sender is the
/// envelope's `from`; every message carries the sender's term (Generation Clock).
public enum RaftMessage: Sendable, Equatable {
    case requestVote(RequestVote)
    case requestVoteResponse(RequestVoteResponse)
    case appendEntries(AppendEntries)
    case appendEntriesResponse(AppendEntriesResponse)

    public var term: Term {
        switch self {
        case .requestVote(let m): m.term
        case .requestVoteResponse(let m): m.term
        case .appendEntries(let m): m.term
        case .appendEntriesResponse(let m): m.term
        }
    }
}

/// A candidate asks for a vote, describing its log so the voter can refuse a
/// candidate that lacks entries the voter has (the election restriction, §5.4.1).
public struct RequestVote: Sendable, Equatable {
    public var term: Term
    public var lastLogIndex: LogIndex
    public var lastLogTerm: Term

    public init(term: Term, lastLogIndex: LogIndex, lastLogTerm: Term) {
        self.term = term
        self.lastLogIndex = lastLogIndex
        self.lastLogTerm = lastLogTerm
    }
}

public struct RequestVoteResponse: Sendable, Equatable {
    public var term: Term
    public var granted: Bool

    public init(term: Term, granted: Bool) {
        self.term = term
        self.granted = granted
    }
}

/// Replicates entries and, when empty, serves as the leader's HeartBeat. The follower
/// accepts only if its log holds `prevLogIndex` with `prevLogTerm` (the consistency check).
public struct AppendEntries: Sendable, Equatable {
    public var term: Term
    public var prevLogIndex: LogIndex
    public var prevLogTerm: Term
    public var entries: [LogEntry]
    /// The leader's High-Water Mark.
    public var leaderCommit: LogIndex

    public init(term: Term, prevLogIndex: LogIndex, prevLogTerm: Term, entries: [LogEntry], leaderCommit: LogIndex) {
        self.term = term
        self.prevLogIndex = prevLogIndex
        self.prevLogTerm = prevLogTerm
        self.entries = entries
        self.leaderCommit = leaderCommit
    }
}

/// The follower's answer. On success `matchIndex` is the last index known to match the
/// leader. On failure the hint lets the leader skip a whole conflicting term at once
/// (fast back-off, §5.3): `conflictTerm` is the follower's term at `rejectedIndex`
/// (nil when its log is too short) and `conflictIndex` the first index it holds for
/// that term (or its last index + 1).
public struct AppendEntriesResponse: Sendable, Equatable {
    public var term: Term
    public var success: Bool
    public var matchIndex: LogIndex
    public var rejectedIndex: LogIndex
    public var conflictIndex: LogIndex
    public var conflictTerm: Term?

    public static func accepted(term: Term, matchIndex: LogIndex) -> AppendEntriesResponse {
        AppendEntriesResponse(
            term: term, success: true, matchIndex: matchIndex, rejectedIndex: .zero, conflictIndex: .zero,
            conflictTerm: nil)
    }

    public static func rejected(
        term: Term, rejectedIndex: LogIndex, conflictIndex: LogIndex, conflictTerm: Term?
    ) -> AppendEntriesResponse {
        AppendEntriesResponse(
            term: term, success: false, matchIndex: .zero, rejectedIndex: rejectedIndex,
            conflictIndex: conflictIndex, conflictTerm: conflictTerm)
    }

    public init(
        term: Term, success: Bool, matchIndex: LogIndex, rejectedIndex: LogIndex, conflictIndex: LogIndex,
        conflictTerm: Term?
    ) {
        self.term = term
        self.success = success
        self.matchIndex = matchIndex
        self.rejectedIndex = rejectedIndex
        self.conflictIndex = conflictIndex
        self.conflictTerm = conflictTerm
    }
}
