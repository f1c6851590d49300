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

/// A linearizable read point: serve read `id` from the state machine once it has
/// applied `index`.
public struct ReadState: Sendable, Equatable {
    public var id: UInt64
    public var index: LogIndex

    public init(id: UInt64, index: LogIndex) {
        self.id = id
        self.index = index
    }
}

/// How the leader confirms a read point.
public enum ReadConfirmation: Sendable, Equatable {
    /// ReadIndex: one heartbeat round answered by a majority confirms leadership.
    case readIndex
    /// Leader lease: no round while a majority answered within the lease (needs
    /// CheckQuorum; refused during a leadership transfer). Falls back to ReadIndex.
    case lease
}

/// The answer to a client proposal.
public enum ProposeResult: Sendable, Equatable {
    /// Appended to the leader's log at this position; it commits later, or is lost if
    /// leadership changes first.
    case accepted(index: LogIndex, term: Term)
    /// This server does not lead; `leaderHint` is the leader it last heard from. A
    /// leader handing over leadership also refuses, naming the server it hands over to.
    case rejected(leaderHint: NodeID?)
}

/// A Raft server's role (Leader and Followers).
/// A server's role (Leader and Followers). A pre-candidate runs a pre-vote round
/// (§9.6) before it may become a candidate and raise the term.
public enum RaftRole: String, Sendable, Equatable {
    case follower
    case preCandidate = "pre-candidate"
    case candidate, leader
}
