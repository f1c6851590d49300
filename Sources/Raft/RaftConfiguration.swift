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
    /// And at most this many bytes of them, each entry counted as its data plus
    /// `RaftNode.entryFraming`, so that a message fits a peer frame; one entry always
    /// goes, even a larger one, so that replication can make progress.
    public var maxAppendBytes: Int
    /// Flow control: at most this many AppendEntries carrying entries, and this many
    /// bytes of entries, in flight to one follower; beyond them the leader waits for
    /// acknowledgements (heartbeats still go out). The bytes are what a heartbeat may
    /// queue behind on the link and what the follower syncs before it answers: at 16 MiB,
    /// 16 clients writing 1 MiB values at once set off elections on a 2-core host.
    public var maxInflightAppends: Int = 256
    public var maxInflightBytes: Int = 4 << 20
    /// A snapshot goes to a lagging follower in chunks of at most this many bytes.
    public var snapshotChunkSize: Int
    /// How long a snapshot chunk may go unanswered before it is sent again: the longest
    /// election timeout, long enough for a chunk on a slow link and short enough that a
    /// lost one costs less than an election.
    public var snapshotResendTimeout: TimeSpan { electionTimeoutMax }
    /// PreVote (§9.6): a server whose election timer fires first asks whether it could
    /// win, and raises its term only if a majority says yes. A pre-vote is granted only
    /// to a log at least as up to date, by a server that has not heard from a leader
    /// within the minimum election timeout.
    public var preVote: Bool
    /// CheckQuorum (§6.2): a leader that has not heard from a majority within the
    /// minimum election timeout steps down. With it comes leader stickiness for votes: a
    /// server that heard from a leader within the minimum election timeout ignores vote
    /// requests (except for a leadership transfer), as etcd ties the two together.
    public var checkQuorum: Bool
    /// The largest rate error of any server's clock, in parts per million. A leader
    /// lease is shorter than the minimum election timeout by twice this much.
    public var maxClockDriftPPM: Int
    /// Deliberate protocol bugs, for proving that the checkers catch them. Empty in
    /// every real configuration.
    public var bugs: Set<RaftBug>

    public init(
        heartbeatInterval: TimeSpan = .milliseconds(10),
        electionTimeoutMin: TimeSpan = .milliseconds(100),
        electionTimeoutMax: TimeSpan = .milliseconds(200),
        maxEntriesPerAppend: Int = 64,
        maxAppendBytes: Int = 4 << 20,
        snapshotChunkSize: Int = 1 << 20,
        preVote: Bool = true,
        checkQuorum: Bool = true,
        maxClockDriftPPM: Int = 1_000,
        bugs: Set<RaftBug> = []
    ) {
        self.maxClockDriftPPM = maxClockDriftPPM
        precondition(heartbeatInterval.nanoseconds > 0, "heartbeat interval must be positive")
        precondition(electionTimeoutMin <= electionTimeoutMax, "election timeout range is empty")
        precondition(maxEntriesPerAppend > 0, "maxEntriesPerAppend must be positive")
        self.heartbeatInterval = heartbeatInterval
        self.electionTimeoutMin = electionTimeoutMin
        self.electionTimeoutMax = electionTimeoutMax
        self.maxEntriesPerAppend = maxEntriesPerAppend
        precondition(maxAppendBytes > 0, "maxAppendBytes must be positive")
        self.maxAppendBytes = maxAppendBytes
        precondition(snapshotChunkSize > 0, "snapshotChunkSize must be positive")
        self.snapshotChunkSize = snapshotChunkSize
        self.preVote = preVote
        self.checkQuorum = checkQuorum
        self.bugs = bugs
    }

    /// How long after a heartbeat round a majority answered the leader may serve reads
    /// without another round.
    public var leaseDuration: TimeSpan {
        TimeSpan(
            nanoseconds: electionTimeoutMin.nanoseconds
                - electionTimeoutMin.nanoseconds / 1_000_000 * Int64(2 * maxClockDriftPPM))
    }

    /// The named combination of PreVote and CheckQuorum this configuration uses.
    public var elections: ElectionSafeguards {
        get { ElectionSafeguards(preVote: preVote, checkQuorum: checkQuorum) }
        set {
            preVote = newValue.preVote
            checkQuorum = newValue.checkQuorum
        }
    }
}

/// The four ways to run leader election, named as on the command line.
public enum ElectionSafeguards: String, Sendable, CaseIterable, Hashable {
    /// Raft as in the paper: any server whose timer fires raises the term.
    case plain
    /// PreVote only.
    case prevote
    /// CheckQuorum with leader stickiness for votes.
    case checkquorum
    /// Both; Synod's default.
    case prevoteCheckquorum = "prevote+checkquorum"

    public init(preVote: Bool, checkQuorum: Bool) {
        switch (preVote, checkQuorum) {
        case (false, false): self = .plain
        case (true, false): self = .prevote
        case (false, true): self = .checkquorum
        case (true, true): self = .prevoteCheckquorum
        }
    }

    public var preVote: Bool { self == .prevote || self == .prevoteCheckquorum }
    public var checkQuorum: Bool { self == .checkquorum || self == .prevoteCheckquorum }
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
    /// Ignore disk damage at restart: a server that may have lost acknowledged entries
    /// votes at once instead of first catching up, and can elect a leader that lacks a
    /// committed entry.
    case voteAfterDataLoss = "vote-after-data-loss"
    /// Take the lease for the whole minimum election timeout, as if clocks kept perfect
    /// rate: a slow leader clock still serves reads after the others elected anew.
    case leaseIgnoresDrift = "lease-ignores-drift"
}
