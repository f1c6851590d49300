/// What a replica needs of a consensus core (Replicated Log): a pure value that orders
/// opaque commands, driven by instants and messages, answering through an output value.
/// Raft (`RaftNode`) and Multi-Paxos (`MultiPaxosNode`) conform, so the replica core, the
/// server and the simulator run either one without knowing which.
///
/// Every input fills `Output`; the driver carries it out in order: perform `writes` and
/// report `synced(through:)`, send `messages`, restore `restored`, apply `committed`,
/// serve `reads`, and call `tick(at:into:)` no later than `wakeAt`.
public protocol ConsensusCore: Sendable {
    associatedtype Message: Sendable
    associatedtype Output: ConsensusOutput where Output.Message == Message

    var id: NodeID { get }
    /// Whether this server leads now and accepts proposals.
    var isLeader: Bool { get }
    /// The leader this server last heard from, if any (itself when it leads).
    var leaderID: NodeID? { get }
    /// The High-Water Mark: every entry up to here is committed.
    var commitIndex: LogIndex { get }
    /// The newest entry in this server's log.
    var lastIndex: LogIndex { get }
    /// Whether some of this server's own log is not yet on its disk: a leader's Request
    /// Batch waits for that sync and then proposes everything that arrived meanwhile.
    var ownWriteInFlight: Bool { get }
    /// Whether the server rejoined after disk damage and does not vote yet.
    var isCatchingUp: Bool { get }
    /// Whether some write this server issued has not been reported synced yet.
    var hasUnsyncedWrites: Bool { get }
    /// Whether the server keeps out of leadership because its disk cannot write.
    var isAbstaining: Bool { get }
    /// Whether log compaction should wait: a snapshot on its way to a follower would be
    /// made useless by a newer one, and the entries after it would be gone.
    var holdsCompaction: Bool { get }

    mutating func tick(at now: Instant, into out: inout Output)
    mutating func receive(_ envelope: Envelope<Message>, at now: Instant, into out: inout Output)
    /// Appends `data` when leading; the entry commits later, or is lost to a leader change.
    mutating func propose(_ data: [UInt8], at now: Instant, into out: inout Output) -> ProposeResult
    /// Asks for a linearizable read point for read `id`: it comes back in `reads`, or in
    /// `failedReads` when this server cannot give one now.
    mutating func read(_ id: UInt64, confirmation: ReadConfirmation, at now: Instant, into out: inout Output)
    mutating func synced(through id: PersistID, at now: Instant, into out: inout Output)
    /// The server's disk cannot write (`true`) or writes again (`false`). A server whose
    /// log cannot be made durable must not lead: while abstaining, a leader hands
    /// leadership over or steps down, proposals are refused, and it does not campaign.
    mutating func abstain(_ abstaining: Bool, at now: Instant, into out: inout Output)
    /// Log compaction: `data` is the state machine's image at `index`, which it applied.
    mutating func compact(through index: LogIndex, data: [UInt8], at now: Instant, into out: inout Output)
}

/// One input's output of a `ConsensusCore`, kept by the driver and cleared with
/// `removeAll()` before each input so that the hot path allocates nothing.
public protocol ConsensusOutput: Sendable {
    associatedtype Message: Sendable
    associatedtype Write: Sendable

    init()
    var writes: [Write] { get }
    var messages: [Envelope<Message>] { get }
    /// A snapshot installed from the leader: the state machine becomes its image before
    /// `committed` (which continues right after it) is applied.
    var restored: Snapshot? { get }
    /// Newly committed entries, in index order.
    var committed: [LogEntry] { get }
    var reads: [ReadState] { get }
    var failedReads: [UInt64] { get }
    var wakeAt: Instant { get }
    mutating func removeAll()
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
    /// Appended to the leader's log at this position, stamped with its term (Raft) or
    /// its ballot's generation (Paxos); it commits later, or is lost if leadership
    /// changes first.
    case accepted(index: LogIndex, term: Term)
    /// This server does not lead; `leaderHint` is the leader it last heard from. A
    /// leader handing over leadership also refuses, naming the server it hands over to.
    case rejected(leaderHint: NodeID?)
}
