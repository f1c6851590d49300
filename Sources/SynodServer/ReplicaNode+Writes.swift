import Raft
import SynodCore

/// Writes: each is numbered in this server's forward session, then proposed here when
/// this server leads (batched with others while a sync is in flight) or forwarded to the
/// leader. A write whose entry is lost to a leader change is routed again under the same
/// number, and the forward sessions apply it once.
extension ReplicaNode {
    struct PendingWrite {
        var item: BatchItem
        var deadline: Instant
        var done: (WriteOutcome) -> Void
        /// Bumped on every routing, so that a stale retry timer does nothing.
        var attempt = 0
        /// When `sweepWrites` routes it again unless it was answered: the deadline while
        /// it waits in this leader's log, a forward timeout while a peer has it.
        var retryAt = Instant.distantFuture
    }

    /// How long a forward may go unanswered before it is sent again (to whoever leads then).
    static var forwardTimeout: TimeSpan { .seconds(1) }
    /// How long to wait before asking again when no leader is known.
    static var retryPause: TimeSpan { .milliseconds(20) }
    /// How often `sweepWrites` looks for writes due for a retry or past their deadline.
    static var sweepInterval: TimeSpan { .milliseconds(100) }

    /// Replicates an encoded command and calls `done` once it is applied, or failed at the
    /// request timeout.
    func write(_ command: [UInt8], done: @escaping (WriteOutcome) -> Void) {
        loop.preconditionInEventLoop()
        if let storageFailure { return done(.failed("storage failed: \(storageFailure)")) }
        let sequence = nextSequence
        nextSequence += 1
        let origin = ForwardOrigin(session: session, sequence: sequence, acknowledged: 0)
        writes[sequence] = PendingWrite(
            item: BatchItem(origin: origin, command: command), deadline: clock.now() + configuration.requestTimeout,
            done: done)
        route(sequence)
    }

    /// Every write numbered below this one has been answered.
    private var lowestUnanswered: UInt64 {
        var lowest = firstUnanswered
        while lowest < nextSequence, writes[lowest] == nil { lowest += 1 }
        firstUnanswered = lowest
        return lowest
    }

    /// Sends a pending write where it can be applied: into this leader's next batch, or
    /// to the leader; retried until it is answered or its deadline passes.
    func route(_ sequence: UInt64) {
        guard var write = writes[sequence] else { return }
        let now = clock.now()
        guard now < write.deadline else {
            return finish(sequence, .failed("no leader applied the write in time; it may or may not apply later"))
        }
        write.attempt += 1
        write.item.origin?.acknowledged = lowestUnanswered - 1
        if raft.role == .leader {
            write.retryAt = write.deadline
            writes[sequence] = write
            enqueue(write.item, answer: .local(sequence: sequence))
        } else if let leader = raft.leaderID, leader != configuration.id, let transport {
            write.retryAt = min(now + Self.forwardTimeout, write.deadline)
            writes[sequence] = write
            transport.forward(to: leader, id: sequence, request: write.item.encoded())
            transport.flush()
        } else {
            writes[sequence] = write
            retry(sequence, after: Self.retryPause)
        }
    }

    /// Routes `sequence` again after `pause`, unless it was answered or routed meanwhile.
    private func retry(_ sequence: UInt64, after pause: TimeSpan) {
        guard let attempt = writes[sequence]?.attempt else { return }
        loop.assumeIsolated().scheduleTask(in: .nanoseconds(pause.nanoseconds)) { [self] in
            if writes[sequence]?.attempt == attempt { route(sequence) }
        }
    }

    /// One timer for all writes (not one per write, which would cost an allocation and a
    /// heap entry on the hot path): routes again those due, fails those past deadline.
    func sweepWrites() {
        let now = clock.now()
        let due = writes.compactMap { $0.value.retryAt <= now ? $0.key : nil }
        for sequence in due.sorted() { route(sequence) }
        loop.assumeIsolated().scheduleTask(in: .nanoseconds(Self.sweepInterval.nanoseconds)) { [self] in
            if !stopped { sweepWrites() }
        }
    }

    func finish(_ sequence: UInt64, _ outcome: WriteOutcome) {
        writes.removeValue(forKey: sequence)?.done(outcome)
    }

    /// Delivers the outcome of one command of a batch to whoever waits for it.
    func answer(_ answer: Answer, _ outcome: WriteOutcome) {
        switch answer {
        case .local(let sequence):
            finish(sequence, outcome)
        case .peer(let peer, let id):
            transport?.forwardReply(to: peer, id: id, reply: ForwardedOutcome(outcome).encoded())
            repliesUnflushed = true
        }
    }

    /// Sends the forward replies queued since the last call: one write per peer for a
    /// whole applied batch, not one per command.
    func flushReplies() {
        guard repliesUnflushed else { return }
        repliesUnflushed = false
        transport?.flush()
    }

    /// A command whose entry will not commit where it was proposed: route it again
    /// (a peer's forward is answered `failed`, and the peer routes it again).
    func lost(_ answer: Answer) {
        switch answer {
        case .local(let sequence):
            route(sequence)
        case .peer:
            self.answer(answer, .failed("leadership changed before the write committed"))
        }
    }

    // MARK: Request Batch

    /// Adds a command to the next entry, or refuses it with BUSY when too much of the log
    /// is uncommitted.
    func enqueue(_ item: BatchItem, answer: Answer) {
        if let storageFailure { return self.answer(answer, .failed("storage failed: \(storageFailure)")) }
        let uncommitted = raft.log.lastIndex.rawValue - raft.commitIndex.rawValue
        if uncommitted >= UInt64(configuration.maxUncommittedEntries) {
            return self.answer(
                answer, .busy("\(configuration.maxUncommittedEntries) entries are waiting to commit; retry later"))
        }
        batch.append(item)
        batchAnswers.append(answer)
        if batch.count >= CommandBatch.maxCommands {
            proposeBatch()
        } else if !batchFlushQueued {
            batchFlushQueued = true
            loop.execute { [self] in
                batchFlushQueued = false
                proposeBatchIfReady()
            }
        }
    }

    /// Proposes the waiting commands unless the leader's own sync is in flight: then the
    /// writes that arrive meanwhile join them, and the sync's completion proposes them all.
    func proposeBatchIfReady() {
        guard !batch.isEmpty else { return }
        if raft.role == .leader, raft.durableIndex < raft.log.lastIndex, storageFailure == nil { return }
        proposeBatch()
    }

    private func proposeBatch() {
        let items = batch
        let answers = batchAnswers
        batch.removeAll(keepingCapacity: true)
        batchAnswers.removeAll(keepingCapacity: true)
        let data = CommandBatch(items: items).encoded(stampedAt: MonotonicClock.wallNow().nanoseconds)
        var result = ProposeResult.rejected(leaderHint: nil)
        step { node, now, out in result = node.propose(data, at: now, into: &out) }
        switch result {
        case .accepted(let index, let term):
            proposed[index] = Proposal(term: term, answers: answers)
            metrics.batchCommands.record(items.count)
        case .rejected:
            for answer in answers { lost(answer) }
            flushReplies()
        }
    }

    // MARK: Forwards

    /// A peer forwarded a write: batch it here when leading, else tell the peer to retry.
    func forwardedWrite(from peer: NodeID, id: UInt64, request: [UInt8]) {
        let answer = Answer.peer(peer, id: id)
        let item: BatchItem
        do {
            item = try BatchItem(decoding: request)
        } catch {
            self.answer(answer, .failed("the forwarded write does not decode: \(error)"))
            return flushReplies()
        }
        defer { flushReplies() }
        guard raft.role == .leader else { return self.answer(answer, .failed("not the leader")) }
        enqueue(item, answer: answer)
    }

    /// The leader answered a forward: done, or routed again when it could not apply it.
    func forwardReplied(id: UInt64, reply: [UInt8]) {
        guard writes[id] != nil else { return }
        switch ForwardedOutcome(decoding: reply).outcome {
        case .failed:
            retry(id, after: Self.retryPause)
        case let outcome:
            finish(id, outcome)
        }
    }
}

/// A forwarded write's outcome on the wire: a tag, then the reply or the reason.
struct ForwardedOutcome {
    var outcome: WriteOutcome

    init(_ outcome: WriteOutcome) { self.outcome = outcome }

    init(decoding bytes: [UInt8]) {
        var reader = BinaryReader(bytes)
        do {
            switch try reader.readByte() {
            case 1: outcome = .reply(Array(bytes.dropFirst()))
            case 2: outcome = .busy(try reader.readString())
            default: outcome = .failed(try reader.readString())
            }
        } catch {
            outcome = .failed("the leader's answer does not decode: \(error)")
        }
    }

    func encoded() -> [UInt8] {
        switch outcome {
        case .reply(let reply): return [1] + reply
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
