import SynodCore

/// The messages Raft servers exchange (Raft paper, Figure 2). The sender is the
/// envelope's `from`; every message carries the sender's term (Generation Clock).
public enum RaftMessage: Sendable, Equatable {
    case requestVote(RequestVote)
    case requestVoteResponse(RequestVoteResponse)
    case appendEntries(AppendEntries)
    case appendEntriesResponse(AppendEntriesResponse)
    case timeoutNow(TimeoutNow)
    case readIndexRequest(ReadIndexRequest)
    case readIndexResponse(ReadIndexResponse)
    case installSnapshot(InstallSnapshot)
    case installSnapshotResponse(InstallSnapshotResponse)

    public var term: Term {
        switch self {
        case .requestVote(let m): m.term
        case .requestVoteResponse(let m): m.term
        case .appendEntries(let m): m.term
        case .appendEntriesResponse(let m): m.term
        case .timeoutNow(let m): m.term
        case .readIndexRequest(let m): m.term
        case .readIndexResponse(let m): m.term
        case .installSnapshot(let m): m.term
        case .installSnapshotResponse(let m): m.term
        }
    }
}

/// A candidate asks for a vote, describing its log so the voter can refuse a
/// candidate that lacks entries the voter has (the election restriction, §5.4.1).
///
/// A pre-vote (§9.6) asks "would you vote for me in `term`?" without anyone changing
/// term or vote. A vote asked on behalf of a leadership transfer overrides leader
/// stickiness: the leader itself asked for the election.
public struct RequestVote: Sendable, Equatable {
    /// For a pre-vote, the term the candidate would campaign in (its own term + 1).
    public var term: Term
    public var lastLogIndex: LogIndex
    public var lastLogTerm: Term
    public var isPreVote: Bool
    public var isTransfer: Bool

    public init(
        term: Term, lastLogIndex: LogIndex, lastLogTerm: Term, isPreVote: Bool = false, isTransfer: Bool = false
    ) {
        self.term = term
        self.lastLogIndex = lastLogIndex
        self.lastLogTerm = lastLogTerm
        self.isPreVote = isPreVote
        self.isTransfer = isTransfer
    }
}

/// A granted pre-vote carries the term it was asked for; a refused one carries the
/// voter's own term, so a pre-candidate behind the times learns the current term.
public struct RequestVoteResponse: Sendable, Equatable {
    public var term: Term
    public var granted: Bool
    public var isPreVote: Bool

    public init(term: Term, granted: Bool, isPreVote: Bool = false) {
        self.term = term
        self.granted = granted
        self.isPreVote = isPreVote
    }
}

/// Leadership transfer (§3.10): the leader tells an up-to-date follower to start an
/// election now, without waiting for its timeout and without a pre-vote.
public struct TimeoutNow: Sendable, Equatable {
    public var term: Term

    public init(term: Term) { self.term = term }
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
    /// The leader's heartbeat round when it sent this; echoed in the response, so the
    /// leader knows which of its rounds a majority has answered (ReadIndex, leases).
    public var round: UInt64

    public init(
        term: Term, prevLogIndex: LogIndex, prevLogTerm: Term, entries: [LogEntry], leaderCommit: LogIndex,
        round: UInt64 = 0
    ) {
        self.term = term
        self.prevLogIndex = prevLogIndex
        self.prevLogTerm = prevLogTerm
        self.entries = entries
        self.leaderCommit = leaderCommit
        self.round = round
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
    /// The `round` of the AppendEntries this answers.
    public var round: UInt64 = 0

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

/// A follower asks the leader for a read index on behalf of a client (Follower Reads
/// made linearizable): the leader confirms it still leads, then answers with its
/// commit index; the follower serves once it has applied that far.
public struct ReadIndexRequest: Sendable, Equatable {
    public var term: Term
    public var id: UInt64

    public init(term: Term, id: UInt64) {
        self.term = term
        self.id = id
    }
}

/// The leader's answer: the index to wait for, or nil when it could not confirm its
/// leadership (the follower's client must try again).
public struct ReadIndexResponse: Sendable, Equatable {
    public var term: Term
    public var id: UInt64
    public var index: LogIndex?

    public init(term: Term, id: UInt64, index: LogIndex?) {
        self.term = term
        self.id = id
        self.index = index
    }
}

/// One chunk of the leader's snapshot, sent to a follower whose next entry lies below
/// the leader's Low-Water Mark (§7). Chunks go one at a time; `offset` says where this
/// one belongs, and the last one has `done` set.
public struct InstallSnapshot: Sendable, Equatable {
    public var term: Term
    public var lastIndex: LogIndex
    public var lastTerm: Term
    public var offset: Int
    public var data: ArraySlice<UInt8>
    public var done: Bool
    /// The leader's heartbeat round, echoed like an AppendEntries round.
    public var round: UInt64

    public init(
        term: Term, lastIndex: LogIndex, lastTerm: Term, offset: Int, data: ArraySlice<UInt8>, done: Bool,
        round: UInt64 = 0
    ) {
        self.term = term
        self.lastIndex = lastIndex
        self.lastTerm = lastTerm
        self.offset = offset
        self.data = data
        self.done = done
        self.round = round
    }
}

/// The follower has `received` bytes of the snapshot ending at `lastIndex`; with `done`
/// set, it installed the snapshot durably and its log now matches through `lastIndex`.
public struct InstallSnapshotResponse: Sendable, Equatable {
    public var term: Term
    public var lastIndex: LogIndex
    public var received: Int
    public var done: Bool
    public var round: UInt64

    public init(term: Term, lastIndex: LogIndex, received: Int, done: Bool, round: UInt64 = 0) {
        self.term = term
        self.lastIndex = lastIndex
        self.received = received
        self.done = done
        self.round = round
    }
}
