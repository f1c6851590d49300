import SynodCore

/// Persist before you promise, for Multi-Paxos: turns what an input changed into one
/// numbered `MultiPaxosWrite`, and holds every Promise and Accepted until the driver
/// reports the writes issued before it synced. Nothing outside the core can reach a
/// held message, so the ordering is enforced by the API.
struct PaxosPersistence: Sendable {
    var lastIssued = PersistID.none
    var lastSynced = PersistID.none
    var held: [(after: PersistID, envelope: Envelope<MultiPaxosMessage>)] = []

    mutating func issue(promised: Ballot?, accepts: [AcceptedSlot]) -> MultiPaxosWrite {
        lastIssued = lastIssued.next
        return MultiPaxosWrite(id: lastIssued, promised: promised, accepts: accepts)
    }

    /// Returns the envelope when nothing is unsynced; otherwise keeps it until the
    /// latest issued write is synced.
    mutating func holdIfUnsynced(_ envelope: Envelope<MultiPaxosMessage>) -> Envelope<MultiPaxosMessage>? {
        if lastIssued == lastSynced { return envelope }
        held.append((lastIssued, envelope))
        return nil
    }

    /// Records a sync and returns the messages it releases, in the order they were built.
    /// Unlike Raft's, none is dropped: an acceptor never takes back what it promised or
    /// accepted (it only promises higher), so a late Promise or Accepted is still true.
    mutating func markSynced(through id: PersistID) -> [Envelope<MultiPaxosMessage>] {
        precondition(id <= lastIssued, "synced a write that was never issued")
        if id <= lastSynced { return [] }
        lastSynced = id
        var released = 0
        while released < held.count, held[released].after <= id { released += 1 }
        if released == 0 { return [] }
        let messages = held[..<released].map(\.envelope)
        held.removeFirst(released)
        return messages
    }
}
