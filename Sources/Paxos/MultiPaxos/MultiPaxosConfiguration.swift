import SynodCore

/// The timing and limits of one Multi-Paxos server, with the same defaults as
/// `RaftConfiguration` so that the two protocols are compared on equal terms.
public struct MultiPaxosConfiguration: Sendable, Equatable {
    /// How often a leader sends a Heartbeat, and retransmits accepts still unanswered.
    public var heartbeatInterval: TimeSpan
    /// A follower that has not heard from a leader for a span drawn from this range
    /// starts phase 1; a candidate whose phase 1 has not finished by then retries with a
    /// higher ballot (randomized back-off, so dueling proposers separate).
    public var electionTimeoutMin: TimeSpan
    public var electionTimeoutMax: TimeSpan
    /// At most this many slots ride in one Accept or Learn.
    public var maxEntriesPerMessage: Int
    /// Leader stickiness with a quorum check, the analogue of Raft's CheckQuorum: an
    /// acceptor that heard from a leader within the minimum election timeout ignores
    /// another proposer's Prepare, and a leader that has not heard from a phase-2 quorum
    /// within it steps down. Off, any proposer whose timer fires deposes the leader.
    public var stickyLeader: Bool
    /// Deliberate protocol bugs, for proving that the checkers catch them. Empty in
    /// every real configuration.
    public var bugs: Set<MultiPaxosBug> = []

    public init(
        heartbeatInterval: TimeSpan = .milliseconds(10),
        electionTimeoutMin: TimeSpan = .milliseconds(100),
        electionTimeoutMax: TimeSpan = .milliseconds(200),
        maxEntriesPerMessage: Int = 64,
        stickyLeader: Bool = true
    ) {
        precondition(heartbeatInterval.nanoseconds > 0, "heartbeat interval must be positive")
        precondition(electionTimeoutMin <= electionTimeoutMax, "election timeout range is empty")
        precondition(maxEntriesPerMessage > 0, "maxEntriesPerMessage must be positive")
        self.heartbeatInterval = heartbeatInterval
        self.electionTimeoutMin = electionTimeoutMin
        self.electionTimeoutMax = electionTimeoutMax
        self.maxEntriesPerMessage = maxEntriesPerMessage
        self.stickyLeader = stickyLeader
    }
}

/// Known-wrong variants of Multi-Paxos, selected with `synod sim --bug NAME`.
public enum MultiPaxosBug: String, Sendable, CaseIterable, Hashable {
    /// Send Prepares before this server's own promise of the ballot is on disk: a crash
    /// forgets the ballot, the restarted server derives the same one from its disk and
    /// proposes again in it, and two values can be accepted for one slot in one ballot.
    case prepareBeforePromiseSynced = "prepare-before-promise-synced"
}
