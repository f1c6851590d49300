import SynodCore

/// The timing and limits of one Raft server. Times are spans on the server's own
/// monotonic clock; the election timeout is drawn anew, uniformly, from
/// `electionTimeoutMin...electionTimeoutMax` every time it is reset (§5.2).
public struct RaftConfiguration: Sendable, Equatable {
    public var heartbeatInterval: TimeSpan
    public var electionTimeoutMin: TimeSpan
    public var electionTimeoutMax: TimeSpan
    /// At most this many entries ride in one AppendEntries.
    public var maxEntriesPerAppend: Int
    /// Deliberate protocol bugs, for proving that the checkers catch them. Empty in
    /// every real configuration.
    public var bugs: Set<RaftBug>

    public init(
        heartbeatInterval: TimeSpan = .milliseconds(10),
        electionTimeoutMin: TimeSpan = .milliseconds(100),
        electionTimeoutMax: TimeSpan = .milliseconds(200),
        maxEntriesPerAppend: Int = 64,
        bugs: Set<RaftBug> = []
    ) {
        precondition(heartbeatInterval.nanoseconds > 0, "heartbeat interval must be positive")
        precondition(electionTimeoutMin <= electionTimeoutMax, "election timeout range is empty")
        precondition(maxEntriesPerAppend > 0, "maxEntriesPerAppend must be positive")
        self.heartbeatInterval = heartbeatInterval
        self.electionTimeoutMin = electionTimeoutMin
        self.electionTimeoutMax = electionTimeoutMax
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.bugs = bugs
    }
}

/// Known-wrong variants of the protocol. They exist so that a test (or
/// `synod sim --bug NAME`) can show that the invariant checkers fail when they should.
public enum RaftBug: String, Sendable, CaseIterable, Hashable {
    /// Commit an entry of an earlier term as soon as a majority stores it, and skip the
    /// new leader's no-op: the server of the Raft paper's Figure 8, which loses a
    /// committed entry.
    case commitPreviousTerm = "commit-previous-term"
    /// Grant a vote before the vote is synced to disk: a crash forgets it and the
    /// server can vote twice in one term.
    case noSyncBeforeVote = "no-sync-before-vote"
}
