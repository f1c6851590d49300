import SynodCore

/// What a Multi-Paxos acceptor needs on its disk: optionally a new promised ballot, then
/// accepted values, in this order. The driver performs writes in order and reports
/// `synced(through:)` once they are durable; a restart rebuilds `MultiPaxosDurableState`
/// from them (the latest promise, and the latest accepted value of each slot).
public struct MultiPaxosWrite: Sendable, Equatable {
    public var id: PersistID
    public var promised: Ballot?
    public var accepts: [AcceptedSlot]

    public init(id: PersistID, promised: Ballot?, accepts: [AcceptedSlot]) {
        self.id = id
        self.promised = promised
        self.accepts = accepts
    }
}

/// What an acceptor must never forget: the highest ballot it promised and, per slot,
/// the last value it accepted. Forgetting either could let two values be chosen.
public struct MultiPaxosDurableState: Sendable, Equatable {
    public var promised: Ballot
    public var accepted: [AcceptedSlot]

    public init(promised: Ballot = .zero, accepted: [AcceptedSlot] = []) {
        self.promised = promised
        self.accepted = accepted
    }

    /// Replays writes in order, as recovery from a journal of them does.
    public mutating func apply(_ write: MultiPaxosWrite) {
        if let promised = write.promised, promised > self.promised { self.promised = promised }
        accepted.append(contentsOf: write.accepts)
    }
}

/// Everything one input made a Multi-Paxos server want done, in the order to do it, as
/// `RaftOutput`: start `writes`, send `messages` (none depends on an unsynced write),
/// apply `committed`, serve `reads`, retry `failedReads`, tick no later than `wakeAt`.
public struct MultiPaxosOutput: Sendable {
    public var writes: [MultiPaxosWrite] = []
    public var messages: [Envelope<MultiPaxosMessage>] = []
    /// Newly chosen entries below the High-Water Mark, in slot order: apply them.
    public var committed: [LogEntry] = []
    /// Read points confirmed: serve read `id` once the state machine applied `index`.
    public var reads: [ReadState] = []
    /// Reads this server cannot serve (it does not lead, or lost leadership): retry.
    public var failedReads: [UInt64] = []
    public var wakeAt: Instant = .distantFuture

    public init() {}

    public mutating func removeAll() {
        if !writes.isEmpty { writes.removeAll(keepingCapacity: true) }
        if !messages.isEmpty { messages.removeAll(keepingCapacity: true) }
        if !committed.isEmpty { committed.removeAll(keepingCapacity: true) }
        if !reads.isEmpty { reads.removeAll(keepingCapacity: true) }
        if !failedReads.isEmpty { failedReads.removeAll(keepingCapacity: true) }
        wakeAt = .distantFuture
    }
}

/// A Multi-Paxos server's role: a candidate is running phase 1 for its ballot.
public enum MultiPaxosRole: String, Sendable, Equatable {
    case follower, candidate, leader
}
