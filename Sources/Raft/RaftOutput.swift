import SynodCore

/// A write a Raft server needs on its disk, in this order: optionally new hard state;
/// the log change (drop every entry from `truncateFrom` on); a snapshot that moves the
/// Low-Water Mark (entries it covers are dropped; all of them when the log does not
/// hold its last index and term); then `entries` to append. The driver performs writes
/// in order and reports `synced(through:)` once they are durable.
public struct RaftWrite: Sendable, Equatable {
    public var id: PersistID
    public var hardState: HardState?
    public var truncateFrom: LogIndex?
    public var snapshot: Snapshot?
    public var entries: [LogEntry]

    public init(
        id: PersistID, hardState: HardState?, truncateFrom: LogIndex?, snapshot: Snapshot? = nil,
        entries: [LogEntry]
    ) {
        self.id = id
        self.hardState = hardState
        self.truncateFrom = truncateFrom
        self.snapshot = snapshot
        self.entries = entries
    }
}

/// Everything one input made a Raft server want done, in the order to do it:
/// start `writes`, send `messages` (none of them depends on an unsynced write: those
/// are held inside the core until `synced(through:)`), apply `committed`, and call
/// `tick(at:)` no later than `wakeAt`.
///
/// Drivers keep one value and pass it `inout` to every input, clearing it after
/// acting on it, so that the hot path allocates nothing.
public struct RaftOutput: Sendable {
    public var writes: [RaftWrite] = []
    public var messages: [Envelope<RaftMessage>] = []
    /// A snapshot received from the leader: replace the state machine's state with it
    /// before applying `committed` (which then continues right after it).
    public var restored: Snapshot?
    /// Newly committed entries, in index order: apply them to the state machine.
    public var committed: [LogEntry] = []
    /// Reads that may now be served, once the state machine has applied their index.
    public var reads: [ReadState] = []
    /// Reads this server cannot serve (it lost or does not know the leader): retry.
    public var failedReads: [UInt64] = []
    public var wakeAt: Instant = .distantFuture

    public init() {}

    public mutating func removeAll() {
        if !writes.isEmpty { writes.removeAll(keepingCapacity: true) }
        if !messages.isEmpty { messages.removeAll(keepingCapacity: true) }
        if !committed.isEmpty { committed.removeAll(keepingCapacity: true) }
        restored = nil
        if !reads.isEmpty { reads.removeAll(keepingCapacity: true) }
        if !failedReads.isEmpty { failedReads.removeAll(keepingCapacity: true) }
        wakeAt = .distantFuture
    }
}

/// A Raft server's role (Leader and Followers).
/// A server's role (Leader and Followers). A pre-candidate runs a pre-vote round
/// (§9.6) before it may become a candidate and raise the term.
public enum RaftRole: String, Sendable, Equatable {
    case follower
    case preCandidate = "pre-candidate"
    case candidate, leader
}
