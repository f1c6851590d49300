import SynodCore

extension SingleDecree {
    /// Persist before you promise. Collects what an input changed on the durable state,
    /// turns it into one numbered `Write`, and holds every message that states durable
    /// state until the write it depends on is synced. Only the node reaches held messages,
    /// so the driver cannot send one early.
    struct ReplyHold: Sendable {
        enum Dependency: Sendable {
            /// The acceptor state of this instance, as of the current input.
            case acceptor(InstanceID)
            /// The ballot ceiling covering the round a prepare uses.
            case ceiling
        }

        var lastIssued = PersistID.none
        var lastSynced = PersistID.none
        /// Acceptors changed during the current input, in the order they changed.
        var changedInstances: [InstanceID] = []
        var ceilingChanged = false
        /// The latest write that holds each acceptor's state, and the ballot ceiling.
        var acceptorWrites: [InstanceID: PersistID] = [:]
        var ceilingWrite = PersistID.none
        /// Messages built during the current input, with what each depends on.
        var queued: [(envelope: Envelope<Message>, dependency: Dependency?)] = []
        var held: [(after: PersistID, envelope: Envelope<Message>)] = []

        mutating func changed(_ instance: InstanceID) {
            if !changedInstances.contains(instance) { changedInstances.append(instance) }
        }

        mutating func queue(_ message: Message, to: [NodeID], from: NodeID, dependsOn dependency: Dependency?) {
            for target in to { queued.append((Envelope(from: from, to: target, message: message), dependency)) }
        }

        /// The write that captures this input's changes, if any.
        mutating func issue(acceptors: [InstanceID: Acceptor], roundCeiling: UInt64) -> Write? {
            guard ceilingChanged || !changedInstances.isEmpty else { return nil }
            lastIssued = lastIssued.next
            let records = changedInstances.sorted().map { AcceptorRecord(instance: $0, acceptor: acceptors[$0]!) }
            for instance in changedInstances { acceptorWrites[instance] = lastIssued }
            if ceilingChanged { ceilingWrite = lastIssued }
            let write = Write(id: lastIssued, acceptors: records, roundCeiling: ceilingChanged ? roundCeiling : nil)
            changedInstances.removeAll(keepingCapacity: true)
            ceilingChanged = false
            return write
        }

        /// The queued messages that depend on nothing unsynced; the rest are held.
        mutating func releaseQueued() -> [Envelope<Message>] {
            var ready: [Envelope<Message>] = []
            for (envelope, dependency) in queued {
                let after: PersistID
                switch dependency {
                case nil: after = .none
                case .acceptor(let instance): after = acceptorWrites[instance] ?? .none
                case .ceiling: after = ceilingWrite
                }
                if after <= lastSynced { ready.append(envelope) } else { held.append((after, envelope)) }
            }
            queued.removeAll(keepingCapacity: true)
            return ready
        }

        /// Records a sync and returns the messages it releases, in the order they were built.
        mutating func markSynced(through id: PersistID) -> [Envelope<Message>] {
            precondition(id <= lastIssued, "synced a write that was never issued")
            guard id > lastSynced else { return [] }
            lastSynced = id
            var released: [Envelope<Message>] = []
            held.removeAll { entry in
                guard entry.after <= id else { return false }
                released.append(entry.envelope)
                return true
            }
            return released
        }
    }
}
