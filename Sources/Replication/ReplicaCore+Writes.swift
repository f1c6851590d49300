import SynodCore

/// Writes: each is numbered in this server's forward session, then proposed here when
/// this server leads (batched with others while its own sync is in flight) or forwarded
/// to the leader. A write whose entry is lost to a leader change is routed again under
/// the same number, and the forward sessions apply it once.
extension ReplicaCore {
    @usableFromInline
    struct PendingWrite: Sendable {
        @usableFromInline var item: BatchItem
        @usableFromInline var token: UInt64
        @usableFromInline var deadline: Instant
        /// When it is routed again unless answered: the deadline while it waits in this
        /// leader's log, a forward timeout while a peer has it.
        @usableFromInline var retryAt = Instant.distantFuture
        @usableFromInline var routings = 0

        @usableFromInline
        init(item: BatchItem, token: UInt64, deadline: Instant) {
            self.item = item
            self.token = token
            self.deadline = deadline
        }
    }

    /// Who waits for a command of a batch: a write taken here, or a peer that forwarded it.
    @usableFromInline
    enum Answer: Sendable {
        case local(sequence: UInt64)
        case peer(NodeID, session: UInt64, id: UInt64)
    }

    @usableFromInline
    struct Proposal: Sendable {
        @usableFromInline var term: Term
        @usableFromInline var answers: [Answer]

        @usableFromInline
        init(term: Term, answers: [Answer]) {
            self.term = term
            self.answers = answers
        }
    }

    /// A client's write (an encoded `Machine.Command`): answered in `replies` under
    /// `token` once applied, or failed at the request timeout.
    @inlinable
    public mutating func write(_ command: [UInt8], token: UInt64, at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        defer { settle(&actions) }
        if let refusal = refusal(ofCommandOf: command.count) {
            actions.replies.append((token, refusal))
            return
        }
        let sequence = nextSequence
        nextSequence += 1
        let origin = ForwardOrigin(session: session, sequence: sequence, acknowledged: 0)
        writes[sequence] = PendingWrite(
            item: BatchItem(origin: origin, command: command), token: token, deadline: now + options.requestTimeout)
        route(sequence, &actions)
    }

    /// A peer forwarded a write, or answered one of ours.
    @inlinable
    public mutating func receive(_ envelope: Envelope<ForwardMessage>, at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        defer { settle(&actions) }
        switch envelope.message {
        case .request(let id, let item):
            // A forwarder numbers each write above the mark of those it has every answer
            // for; an item at or below its own mark would retire its session's replies.
            if let origin = item.origin, origin.acknowledged >= origin.sequence { return }
            let answer = Answer.peer(envelope.from, session: item.origin?.session ?? 0, id: id)
            guard consensus.isLeader else { return self.answer(answer, .failed("not the leader"), &actions) }
            if let refusal = refusal(ofCommandOf: item.command.count) { return self.answer(answer, refusal, &actions) }
            enqueue(item, answer: answer, &actions)
        case .reply(let session, let id, let outcome):
            guard session == self.session, writes[id] != nil else { return }
            if case .failed = outcome {
                // The leader could not apply it (it lost leadership): route it again soon.
                retrySoon(id)
            } else {
                complete(id, outcome, &actions)
            }
        }
    }

    /// Proposes the writes waiting in the Request Batch, asked for by `flushBatch`.
    @inlinable
    public mutating func proposeBatch(at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        batchFlushQueued = false
        proposeBatchIfReady(&actions)
        settle(&actions)
    }

    /// Every write numbered below this one has been answered.
    @inlinable
    mutating func lowestUnanswered() -> UInt64 {
        var lowest = firstUnanswered
        while lowest < nextSequence, writes[lowest] == nil { lowest += 1 }
        firstUnanswered = lowest
        return lowest
    }

    /// Sends a pending write where it can be applied: into this leader's next batch, or
    /// to the leader; retried until it is answered or its deadline passes.
    @inlinable
    mutating func route(_ sequence: UInt64, _ actions: inout Actions) {
        guard var write = writes[sequence] else { return }
        guard now < write.deadline else {
            return complete(
                sequence, .failed("no leader applied the write in time; it may or may not apply later"), &actions)
        }
        write.routings += 1
        write.item.origin?.acknowledged = lowestUnanswered() - 1
        if write.routings > 1, options.bugs.contains(.forwardRetryWithoutSession) { write.item.origin = nil }
        if consensus.isLeader {
            write.retryAt = write.deadline
            writes[sequence] = write
            enqueue(write.item, answer: .local(sequence: sequence), &actions)
        } else if let leader = consensus.leaderID, leader != consensus.id {
            write.retryAt = min(now + options.forwardTimeout, write.deadline)
            writes[sequence] = write
            actions.forwards.append(
                Envelope(from: consensus.id, to: leader, message: .request(id: sequence, item: write.item)))
        } else {
            write.retryAt = min(now + options.retryPause, write.deadline)
            writes[sequence] = write
        }
        nextSweep = min(nextSweep, write.retryAt)
    }

    /// Routes a pending write again after the retry pause (no later than its deadline).
    @inlinable
    mutating func retrySoon(_ sequence: UInt64) {
        guard let write = writes[sequence] else { return }
        let instant = min(now + options.retryPause, write.deadline)
        writes[sequence]?.retryAt = instant
        nextSweep = min(nextSweep, instant)
    }

    @inlinable
    mutating func complete(_ sequence: UInt64, _ outcome: WriteOutcome, _ actions: inout Actions) {
        guard let write = writes.removeValue(forKey: sequence) else { return }
        actions.replies.append((write.token, outcome))
    }

    /// Delivers the outcome of one command of a batch to whoever waits for it.
    @inlinable
    mutating func answer(_ answer: Answer, _ outcome: WriteOutcome, _ actions: inout Actions) {
        switch answer {
        case .local(let sequence):
            complete(sequence, outcome, &actions)
        case .peer(let peer, let session, let id):
            actions.forwards.append(
                Envelope(from: consensus.id, to: peer, message: .reply(session: session, id: id, outcome: outcome)))
        }
    }

    /// A command whose entry will not commit where it was proposed: route it again
    /// (a peer's forward is answered `failed`, and the peer routes it again).
    @inlinable
    mutating func lost(_ answer: Answer, _ actions: inout Actions) {
        switch answer {
        case .local(let sequence):
            route(sequence, &actions)
        case .peer:
            self.answer(answer, .failed("leadership changed before the write committed"), &actions)
        }
    }

    /// A command longer than the command limit could not fit a batch: refused (BUSY, as
    /// nothing was done) before it is numbered or forwarded.
    @inlinable
    func refusal(ofCommandOf size: Int) -> WriteOutcome? {
        guard size > options.maxCommandBytes else { return nil }
        return .busy("the command is \(size) bytes, over the command limit of \(options.maxCommandBytes) bytes")
    }

    // MARK: Request Batch

    /// Adds a command to the next entry, or refuses it with BUSY when too much of the log
    /// is uncommitted. A batch the command would take past the byte cap is proposed first.
    @inlinable
    mutating func enqueue(_ item: BatchItem, answer: Answer, _ actions: inout Actions) {
        let last = consensus.lastIndex.rawValue
        let commit = consensus.commitIndex.rawValue
        let uncommitted = last > commit ? last - commit : 0
        if uncommitted >= UInt64(max(0, options.maxUncommittedEntries)) {
            return self.answer(
                answer, .busy("\(options.maxUncommittedEntries) entries are waiting to commit; retry later"), &actions)
        }
        if !batch.isEmpty, CommandBatch.encodedSize(of: batch, adding: item) > options.maxBatchBytes {
            proposeBatchNow(&actions)
        }
        batch.append(item)
        batchAnswers.append(answer)
        if batch.count >= CommandBatch.maxCommands {
            proposeBatchNow(&actions)
        } else if !batchFlushQueued {
            batchFlushQueued = true
            actions.flushBatch = true
        }
    }

    /// Proposes the waiting commands unless the leader's own sync is in flight: then the
    /// writes that arrive meanwhile join them, and the sync's completion proposes them all.
    @inlinable
    mutating func proposeBatchIfReady(_ actions: inout Actions) {
        guard !batch.isEmpty else { return }
        if consensus.isLeader, consensus.ownWriteInFlight { return }
        proposeBatchNow(&actions)
    }

    @inlinable
    mutating func proposeBatchNow(_ actions: inout Actions) {
        let items = batch
        let answers = batchAnswers
        batch.removeAll(keepingCapacity: true)
        batchAnswers.removeAll(keepingCapacity: true)
        let data = CommandBatch(items: items).encoded(stampedAt: now.nanoseconds &+ stampOffset)
        let result = drive(&actions) { core, now, out in core.propose(data, at: now, into: &out) }
        switch result {
        case .accepted(let index, let term):
            proposed[index] = Proposal(term: term, answers: answers)
            actions.proposedBatches.append(items.count)
            if options.bugs.contains(.batchReplyBeforeCommit) {
                answerBeforeCommit(LogEntry(term: term, index: index, kind: .command, data: data), &actions)
            }
        case .rejected:
            // Not routed again at once: a core that refuses while it still leads would
            // turn that into a loop at one instant.
            for answer in answers {
                switch answer {
                case .local(let sequence):
                    retrySoon(sequence)
                case .peer:
                    self.answer(answer, .failed("the leader refused the proposal"), &actions)
                }
            }
        }
    }

    /// The `batch-reply-before-commit` bug: answers an entry's commands from a copy of
    /// the state it would give, before the entry is known to commit.
    @inlinable
    mutating func answerBeforeCommit(_ entry: LogEntry, _ actions: inout Actions) {
        guard let proposal = proposed[entry.index] else { return }
        var speculative = state
        speculative.appliedIndex = LogIndex(entry.index.rawValue - 1)
        let results = speculative.apply(entry)
        for (answer, result) in zip(proposal.answers, results) {
            if case .reply(let reply) = result { self.answer(answer, .reply(reply), &actions) }
        }
    }
}
