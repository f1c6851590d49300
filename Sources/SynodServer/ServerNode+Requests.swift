import KV
import Raft
import SynodCore

/// Client operations: writes go through the log (proposed here when this server leads,
/// forwarded to the leader otherwise), reads wait for a linearizable read point.
extension ServerNode {
    // MARK: Writes

    /// Replicates `command` and calls `done` once it is applied (or failed). Waits for a
    /// leader up to the request timeout.
    func write(_ request: KVRequest, done: @escaping (KVOutcome) -> Void) {
        write(request.encoded(), deadline: clock.now() + configuration.requestTimeout, done: done)
    }

    private func write(_ encoded: [UInt8], deadline: Instant, done: @escaping (KVOutcome) -> Void) {
        loop.preconditionInEventLoop()
        if let storageFailure { return done(.failed("storage failed: \(storageFailure)")) }
        if raft.role == .leader,
            raft.log.lastIndex.rawValue - raft.commitIndex.rawValue >= UInt64(configuration.maxUncommittedEntries)
        {
            return done(.busy("\(configuration.maxUncommittedEntries) writes are waiting to commit; retry later"))
        }
        var result = ProposeResult.rejected(leaderHint: nil)
        step { node, now, out in result = node.propose(encoded, at: now, into: &out) }
        switch result {
        case .accepted(let index, let term):
            waiting[index] = Waiter(term: term, done: done)
        case .rejected(let hint):
            if let leader = hint, leader != configuration.id, let transport {
                let id = nextForwardID
                nextForwardID += 1
                forwarded[id] = done
                transport.forward(to: leader, id: id, request: encoded)
                transport.flush()
                loop.assumeIsolated().scheduleTask(in: .nanoseconds(configuration.requestTimeout.nanoseconds)) {
                    [self] in
                    if let pending = forwarded.removeValue(forKey: id) {
                        pending(.failed("the leader \(leader) did not answer in time; the write may or may not apply"))
                    }
                }
            } else {
                retry(deadline: deadline, failure: "no leader", done: done) { [self] in
                    write(encoded, deadline: deadline, done: done)
                }
            }
        }
    }

    /// A follower forwarded a client's write: propose it here and send back the reply.
    func forwardedWrite(from peer: NodeID, id: UInt64, request: [UInt8]) {
        write(request, deadline: clock.now() + configuration.requestTimeout) { [weak self] outcome in
            guard let self, let transport else { return }
            transport.forwardReply(to: peer, id: id, reply: ForwardedOutcome(outcome).encoded())
            transport.flush()
        }
    }

    /// The leader answered a write this server forwarded.
    func forwardReplied(id: UInt64, reply: [UInt8]) {
        guard let done = forwarded.removeValue(forKey: id) else { return }
        done(ForwardedOutcome(decoding: reply).outcome)
    }

    // MARK: Reads

    /// Reads `keys` linearizably: the core confirms a read point (ReadIndex or lease on
    /// the leader, ReadIndex asked of the leader on a follower); the store answers once
    /// it has applied that far.
    func read(_ keys: [String], done: @escaping ([(value: String?, version: LogIndex?)]?) -> Void) {
        loop.preconditionInEventLoop()
        let id = nextReadID
        nextReadID += 1
        reads[id] = Read(keys: keys, deadline: clock.now() + configuration.requestTimeout, done: done)
        askReadPoint(id)
    }

    private func askReadPoint(_ id: UInt64) {
        let confirmation = configuration.readConfirmation
        step { node, now, out in node.read(id, confirmation: confirmation, at: now, into: &out) }
    }

    func readPointsReleased() {
        readyReads.append(contentsOf: output.reads)
        for id in output.failedReads {
            guard let read = reads[id] else { continue }
            if clock.now() >= read.deadline {
                reads.removeValue(forKey: id)
                read.done(nil)
            } else {
                loop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { [self] in
                    if reads[id] != nil { askReadPoint(id) }
                }
            }
        }
        serveReadyReads()
    }

    func serveReadyReads() {
        guard !readyReads.isEmpty else { return }
        let applied = store.appliedIndex
        var kept: [ReadState] = []
        for point in readyReads {
            guard point.index <= applied else {
                kept.append(point)
                continue
            }
            guard let read = reads.removeValue(forKey: point.id) else { continue }
            read.done(read.keys.map { store.read($0) })
        }
        readyReads = kept
    }

    private func retry(
        deadline: Instant, failure: String, done: @escaping (KVOutcome) -> Void, again: @escaping () -> Void
    ) {
        guard clock.now() < deadline else { return done(.failed(failure)) }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { again() }
    }
}

/// A forwarded write's outcome on the wire: a tag, then the reply or the reason.
struct ForwardedOutcome {
    var outcome: KVOutcome

    init(_ outcome: KVOutcome) { self.outcome = outcome }

    init(decoding bytes: [UInt8]) {
        var reader = BinaryReader(bytes)
        do {
            switch try reader.readByte() {
            case 1: outcome = .reply(try KVReply(decoding: Array(bytes.dropFirst())))
            case 2: outcome = .busy(try reader.readString())
            default: outcome = .failed(try reader.readString())
            }
        } catch {
            outcome = .failed("the leader's answer does not decode: \(error)")
        }
    }

    func encoded() -> [UInt8] {
        switch outcome {
        case .reply(let reply): return [1] + reply.encoded()
        case .failed(let reason): return Self.encode(tag: 0, reason)
        case .busy(let reason): return Self.encode(tag: 2, reason)
        }
    }

    private static func encode(tag: UInt8, _ reason: String) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 8 + reason.utf8.count)
        writer.writeByte(tag)
        writer.writeString(reason)
        return writer.bytes
    }
}
