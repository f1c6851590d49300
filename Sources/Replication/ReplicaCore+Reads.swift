import SynodCore

/// Reads wait for a linearizable read point (ReadIndex or a lease on the leader;
/// ReadIndex asked of the leader on a Raft follower), then for the machine to apply
/// that far. Every read has a deadline: a lost request or answer ends in a failure the
/// client can retry, never a hang.
extension ReplicaCore {
    @usableFromInline
    struct PendingRead: Sendable {
        @usableFromInline var token: UInt64
        @usableFromInline var deadline: Instant
        /// When to ask for a read point again after a refusal.
        @usableFromInline var retryAt: Instant?

        @usableFromInline
        init(token: UInt64, deadline: Instant) {
            self.token = token
            self.deadline = deadline
        }
    }

    /// A client's read: `reads` names `token` once the machine is at a linearizable
    /// point (run the query on `state.machine` then), or with `served: false` when no
    /// point came before the request timeout.
    @inlinable
    public mutating func read(token: UInt64, at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        let id = nextReadID
        nextReadID &+= 1
        let deadline = now + options.requestTimeout
        reads[id] = PendingRead(token: token, deadline: deadline)
        nextSweep = min(nextSweep, deadline)
        askReadPoint(id, &actions)
        settle(&actions)
    }

    @inlinable
    mutating func askReadPoint(_ id: UInt64, _ actions: inout Actions) {
        let confirmation = options.readConfirmation
        drive(&actions) { core, now, out in core.read(id, confirmation: confirmation, at: now, into: &out) }
    }

    /// The consensus core could not give read `id` a point now: ask again soon.
    @inlinable
    mutating func readPointRefused(_ id: UInt64, _ actions: inout Actions) {
        guard let read = reads[id] else { return }
        if now >= read.deadline {
            failRead(id, &actions)
        } else {
            let again = min(now + options.retryPause, read.deadline)
            reads[id]?.retryAt = again
            nextSweep = min(nextSweep, again)
        }
    }

    /// Answers read `id` with no read point: its deadline passed.
    @inlinable
    mutating func failRead(_ id: UInt64, _ actions: inout Actions) {
        if let read = reads.removeValue(forKey: id) { actions.reads.append((read.token, false)) }
    }

    /// Serves the reads whose point the machine has applied.
    @inlinable
    mutating func serveReadyReads(_ actions: inout Actions) {
        guard !readyReads.isEmpty else { return }
        let applied = state.appliedIndex
        let early = options.bugs.contains(.readBeforeApply)
        var kept: [ReadState] = []
        // A point for no waiting read (a peer's answer to a read that is over, or to
        // none at all) is dropped, so that one past the log cannot wait here forever.
        for point in readyReads where reads[point.id] != nil {
            guard point.index <= applied || early else {
                kept.append(point)
                continue
            }
            if let read = reads.removeValue(forKey: point.id) { actions.reads.append((read.token, true)) }
        }
        readyReads = kept
    }

    /// Routes again the writes due for a retry, asks again for refused read points, and
    /// fails whatever passed its deadline.
    @inlinable
    mutating func sweep(_ actions: inout Actions) {
        let due = writes.compactMap { $0.value.retryAt <= now ? $0.key : nil }
        for sequence in due.sorted() { route(sequence, &actions) }
        for id in reads.keys.sorted() {
            guard let read = reads[id] else { continue }
            if now >= read.deadline {
                failRead(id, &actions)
            } else if let again = read.retryAt, again <= now {
                reads[id]?.retryAt = nil
                askReadPoint(id, &actions)
            }
        }
        var next = Instant.distantFuture
        for write in writes.values where write.retryAt < next { next = write.retryAt }
        for read in reads.values {
            next = min(next, read.retryAt ?? read.deadline, read.deadline)
        }
        // A floor, so that churn among many waiting requests cannot make every input a sweep.
        nextSweep = next == .distantFuture ? next : max(next, now + .milliseconds(1))
    }
}
