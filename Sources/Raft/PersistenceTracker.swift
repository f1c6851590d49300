import SynodCore

/// Persist before you promise. Collects what an input changed on the durable state,
/// turns it into one numbered `RaftWrite`, and holds every reply that depends on a
/// write until the driver reports that write synced. Nothing outside the core can
/// reach a held message, so the ordering is enforced by the API, not by convention.
struct PersistenceTracker: Sendable {
    var lastIssued = PersistID.none
    var lastSynced = PersistID.none
    /// Set when the term or vote changed during the current input.
    var hardStateChanged = false
    /// A snapshot taken or received during the current input.
    var snapshot: Snapshot?
    /// The lowest log index changed during the current input.
    var firstChangedIndex: LogIndex?
    /// The log's end as the disk will hold it once every issued write lands.
    var writtenEnd: LogIndex
    /// The longest prefix of the in-memory log known to be durable.
    var durableIndex: LogIndex
    /// Issued, unsynced writes and the log end each makes durable (clipped when a
    /// later write truncates below it).
    var pendingEnds: [PendingWrite] = []
    var held: [HeldMessage] = []

    struct PendingWrite: Sendable {
        var id: PersistID
        var end: LogIndex
    }

    struct HeldMessage: Sendable {
        var after: PersistID
        var envelope: Envelope<RaftMessage>
    }

    init(durableIndex: LogIndex) {
        self.durableIndex = durableIndex
        self.writtenEnd = durableIndex
    }

    mutating func logChanged(from index: LogIndex) {
        if let first = firstChangedIndex, first <= index { return }
        firstChangedIndex = index
    }

    /// The write that captures this input's changes, if any.
    mutating func issue(hardState: HardState, log: RaftLog) -> RaftWrite? {
        guard hardStateChanged || firstChangedIndex != nil || snapshot != nil else { return nil }
        lastIssued = lastIssued.next
        var truncateFrom: LogIndex?
        var entries: [LogEntry] = []
        if let first = firstChangedIndex {
            if first <= writtenEnd {
                truncateFrom = first
                let kept = first.advanced(by: -1)
                for i in pendingEnds.indices where pendingEnds[i].end > kept { pendingEnds[i].end = kept }
                if durableIndex > kept { durableIndex = kept }
            }
            entries = Array(log.entries(from: first))
        }
        pendingEnds.append(PendingWrite(id: lastIssued, end: log.lastIndex))
        writtenEnd = log.lastIndex
        let write = RaftWrite(
            id: lastIssued, hardState: hardStateChanged ? hardState : nil, truncateFrom: truncateFrom,
            snapshot: snapshot, entries: entries)
        hardStateChanged = false
        snapshot = nil
        firstChangedIndex = nil
        return write
    }

    /// Returns the envelope when nothing is unsynced; otherwise keeps it until the
    /// latest issued write is synced.
    mutating func holdIfUnsynced(_ envelope: Envelope<RaftMessage>) -> Envelope<RaftMessage>? {
        if lastIssued == lastSynced { return envelope }
        held.append(HeldMessage(after: lastIssued, envelope: envelope))
        return nil
    }

    /// Records a sync and returns the messages it releases, in the order they were built.
    /// A reply built in an earlier term than `currentTerm` is dropped: a later write may
    /// have undone what it promised (a new leader truncated the acknowledged entries), and
    /// the leader it was meant for could still count it. Dropping a message is always safe.
    mutating func markSynced(through id: PersistID, currentTerm: Term) -> [Envelope<RaftMessage>] {
        precondition(id <= lastIssued, "synced a write that was never issued")
        if id <= lastSynced { return [] }
        lastSynced = id
        var count = 0
        while count < pendingEnds.count, pendingEnds[count].id <= id { count += 1 }
        if count > 0 {
            durableIndex = max(durableIndex, pendingEnds[count - 1].end)
            pendingEnds.removeFirst(count)
        }
        var released = 0
        while released < held.count, held[released].after <= id { released += 1 }
        if released == 0 { return [] }
        let messages = held[..<released].map(\.envelope).filter { $0.message.term == currentTerm }
        held.removeFirst(released)
        return messages
    }
}
