import SynodCore

/// The replica layer's settings: how long a client's request may take, how much may
/// wait to commit, how often the log is compacted and how reads are confirmed.
public struct ReplicaOptions: Sendable, Equatable {
    /// A write or read unanswered this long is answered with a failure (a write may
    /// still apply later, at most once).
    public var requestTimeout: TimeSpan = .seconds(5)
    /// A leader with this many uncommitted entries refuses new writes with BUSY.
    public var maxUncommittedEntries = 10_000
    /// A longer command (encoded) is refused with BUSY before it is numbered: it could
    /// not fit a batch. 1.5 MiB, etcd's default request limit.
    public var maxCommandBytes = 3 << 19
    /// A Request Batch is proposed before the next command would take it past this many
    /// bytes (encoded), so that an entry never outgrows what followers and the WAL take.
    /// At least `maxCommandBytes` plus a batch's framing, so one command always fits.
    public var maxBatchBytes = 2 << 20
    /// Compact the log once this many entries were applied since the last snapshot
    /// (0: never).
    public var snapshotEvery = 10_000
    /// How the leader confirms a linearizable read point.
    public var readConfirmation: ReadConfirmation = .readIndex
    /// How long a forward may go unanswered before it is sent again, to whoever leads then.
    public var forwardTimeout: TimeSpan = .seconds(1)
    /// How long to wait before routing again when no leader is known, or after a refusal.
    public var retryPause: TimeSpan = .milliseconds(20)
    /// A write waiting this long for the disk with none completing means the disk has
    /// stalled (a hung fsync): the replica then abstains from leading until a sync
    /// completes. A few election timeouts: long enough for a slow but working disk.
    public var diskStallLimit: TimeSpan = .seconds(2)
    /// Hand a snapshot the leader sent to the driver to decode (`ReplicaActions.restoreDue`)
    /// and hold later committed entries until `restored(_:through:at:into:)` brings the
    /// decoded state: the server decodes a large machine off its event loop. The
    /// simulator decodes in place.
    public var restoresOffThread = false
    /// Deliberate bugs, for showing that the simulator's checks catch them.
    public var bugs: Set<ReplicaBug> = []

    public init() {}
}

/// A deliberate bug in the replica layer, selected with `synod sim --bug`.
public enum ReplicaBug: String, Sendable, CaseIterable {
    /// A leader answers a write from its own state as soon as the write enters its log,
    /// before the entry commits.
    case batchReplyBeforeCommit = "batch-reply-before-commit"
    /// A forwarded write retried on another leader goes without its forward session, so
    /// it can apply twice.
    case forwardRetryWithoutSession = "forward-retry-without-session"
    /// A read is served as soon as its read point is confirmed, before the machine has
    /// applied that far.
    case readBeforeApply = "read-before-apply"
}
