import SynodCore

/// One replica of a replicated state machine as a pure value: the consensus core, the
/// replicated state (the machine and its forward sessions) and everything a server
/// decides around them: Request Batch, numbering and retrying forwarded writes
/// (Idempotent Receiver between servers), waiting reads, answers to clients, log
/// compaction and restoring snapshots, and what to do when the disk fails.
///
/// It owns no thread, socket, file, clock or system randomness: every input carries the
/// instant of the server's own clock and fills `ReplicaActions`, which the driver carries
/// out. The server (`synod serve`) and the simulator drive this same value, so every
/// simulated seed checks the code that ships.
///
/// ```swift
/// var core = try ReplicaCore<RaftNode, KVStore>(consensus: raft, snapshot: nil, options: ReplicaOptions(),
///                                                 now: now, random: SeededGenerator(seed: 7))
/// var actions = ReplicaCore<RaftNode, KVStore>.Actions()
/// core.write(KVRequest(command: .put(key: "a", value: "1"), time: now).encoded(), token: 1, at: now, into: &actions)
/// // perform actions.consensus.writes, send actions.consensus.messages and actions.forwards,
/// // answer actions.replies and actions.reads, then tick again at actions.wakeAt
/// ```
public struct ReplicaCore<Consensus: ConsensusCore, Machine: StateMachine>: Sendable {
    public typealias Actions = ReplicaActions<Consensus.Output>

    @inlinable public var consensus: Consensus { _read { yield _consensus } }
    @usableFromInline var _consensus: Consensus
    @inlinable public var state: ReplicatedState<Machine> { _read { yield _state } }
    @usableFromInline var _state: ReplicatedState<Machine>
    public let options: ReplicaOptions
    /// This server's forward session, drawn at start: every write it takes is numbered in
    /// it, so a write retried on another leader applies once (see `ForwardSessions`).
    public let session: UInt64
    /// Added to the instant to stamp a batch with the leader's time, which forward
    /// sessions expire by (the server passes its wall clock's offset; the simulator 0).
    @usableFromInline
    let stampOffset: Int64

    @usableFromInline
    var now: Instant
    /// When the consensus core last asked to be woken.
    @usableFromInline
    var consensusWakeAt: Instant
    @usableFromInline
    var nextSequence: UInt64 = 1
    @usableFromInline
    var firstUnanswered: UInt64 = 1
    /// Writes taken here and not yet answered, by sequence number.
    @usableFromInline
    var writes: [UInt64: PendingWrite] = [:]
    /// Request Batch: commands waiting to be proposed as one entry, and whom to answer.
    @usableFromInline
    var batch: [BatchItem] = []
    @usableFromInline
    var batchAnswers: [Answer] = []
    @usableFromInline
    var batchFlushQueued = false
    /// Entries this server proposed, by log index: whom to answer for each command.
    @usableFromInline
    var proposed: [LogIndex: Proposal] = [:]
    /// Reads waiting for a read point or for the machine, by read id.
    @usableFromInline
    var reads: [UInt64: PendingRead] = [:]
    @usableFromInline
    var readyReads: [ReadState] = []
    /// Read ids start at a drawn base, so an answer from before a restart is not taken
    /// for a new read's.
    @usableFromInline
    var nextReadID: UInt64
    /// The index of the newest snapshot of the machine (taken here or installed).
    @inlinable public var compactedThrough: LogIndex { _compactedThrough }
    @usableFromInline var _compactedThrough: LogIndex
    @usableFromInline
    var compactionQueued = false
    /// How many compaction intervals a snapshot transfer may hold compaction for.
    @usableFromInline
    static var compactionHoldFactor: UInt64 { 8 }
    /// The snapshot being decoded by the driver (`restoresOffThread`), and the committed
    /// entries after it, held until its state arrives.
    @usableFromInline
    var restoring: LogIndex?
    @usableFromInline
    var heldEntries: [LogEntry] = []
    /// Why the disk cannot write now (a write failed on a full disk, or none has reached
    /// it for `ReplicaOptions.diskStallLimit`); nil while it writes. Meanwhile the
    /// consensus core abstains: it hands leadership over and does not campaign.
    @inlinable public var diskTrouble: String? { _diskTrouble }
    @usableFromInline var _diskTrouble: String?
    /// Since when writes have waited for the disk with none completing; nil while none waits.
    @usableFromInline
    var diskWaitingSince: Instant?
    /// Set when the replica cannot go on; every later input is ignored.
    @inlinable public var stopped: String? { _stopped }
    @usableFromInline var _stopped: String?
    @usableFromInline
    var catchingUp: Bool
    /// The earliest instant a waiting write or read may need a retry or a deadline.
    @usableFromInline
    var nextSweep: Instant = .distantFuture

    /// A replica around `consensus`, whose machine starts from `snapshot` (the one the
    /// consensus core was restored with) or empty. Throws when the snapshot does not
    /// decode: a replica must not serve a state it cannot trust.
    @inlinable
    public init(
        consensus: Consensus, snapshot: Snapshot?, options: ReplicaOptions, now: Instant,
        random: SeededGenerator, stampOffset: Int64 = 0
    ) throws {
        _consensus = consensus
        if let snapshot {
            _state = try ReplicatedState(snapshot: snapshot.data)
        } else {
            _state = ReplicatedState()
        }
        _compactedThrough = snapshot?.lastIndex ?? .zero
        self.options = options
        var random = random
        session = random.next() | 1
        nextReadID = random.next() & ~0xFFFF_FFFF
        self.stampOffset = stampOffset
        self.now = now
        consensusWakeAt = now
        catchingUp = consensus.isCatchingUp
    }

    // MARK: Inputs

    /// Time has passed: the consensus core's timers, then retries and deadlines, and
    /// whether the disk has stalled.
    @inlinable
    public mutating func tick(at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        drive(&actions) { core, now, out in core.tick(at: now, into: &out) }
        if now >= nextSweep { sweep(&actions) }
        if diskTrouble == nil, let since = diskWaitingSince, now - since >= options.diskStallLimit {
            diskCannotWrite("no write has reached the disk for \(now - since)", &actions)
        }
        settle(&actions)
    }

    /// A consensus message from a peer.
    @inlinable
    public mutating func receive(_ envelope: Envelope<Consensus.Message>, at now: Instant, into actions: inout Actions)
    {
        guard begin(now) else { return }
        drive(&actions) { core, now, out in core.receive(envelope, at: now, into: &out) }
        settle(&actions)
    }

    /// The driver made every write up to `id` durable; a batch waiting for it goes now.
    /// The disk writes: if it could not before, the consensus core may lead again.
    @inlinable
    public mutating func synced(through id: PersistID, at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        drive(&actions) { core, now, out in core.synced(through: id, at: now, into: &out) }
        diskWaitingSince = consensus.hasUnsyncedWrites ? now : nil
        if diskTrouble != nil {
            _diskTrouble = nil
            actions.diskHealthChanged = true
            drive(&actions) { core, now, out in core.abstain(false, at: now, into: &out) }
        }
        proposeBatchIfReady(&actions)
        settle(&actions)
    }

    /// Log compaction, asked for by `compactionDue`: the machine's image at its applied
    /// index replaces the log up to it. Encodes the image here; a driver that would
    /// rather encode it elsewhere uses `compactionImage()` and `compact(through:data:at:into:)`.
    @inlinable
    public mutating func compact(at now: Instant, into actions: inout Actions) {
        guard let (index, image) = compactionImage() else {
            if begin(now) { settle(&actions) }
            return
        }
        compact(through: index, data: image.snapshot(), at: now, into: &actions)
    }

    /// The state to compact the log to, asked for by `compactionDue`: the applied index
    /// and a copy of the replicated state (copy-on-write, so cheap) whose `snapshot()`
    /// a driver may encode off its event loop; nil when nothing new was applied.
    @inlinable
    public mutating func compactionImage() -> (index: LogIndex, image: ReplicatedState<Machine>)? {
        compactionQueued = false
        guard stopped == nil, state.appliedIndex > compactedThrough else { return nil }
        return (state.appliedIndex, state)
    }

    /// Compacts the log through `index` with `data`, the encoded image
    /// `compactionImage()` gave; nothing when a newer snapshot came meanwhile.
    @inlinable
    public mutating func compact(through index: LogIndex, data: [UInt8], at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        if index > compactedThrough, index <= state.appliedIndex {
            _compactedThrough = index
            drive(&actions) { core, now, out in core.compact(through: index, data: data, at: now, into: &out) }
        }
        settle(&actions)
    }

    /// The driver decoded the snapshot through `index` that `restoreDue` handed it (or
    /// failed to): the machine becomes its image and the entries held meanwhile apply.
    /// A result for a snapshot a newer one replaced is dropped; one that did not decode
    /// stops the replica rather than apply later entries on top of the old state.
    @inlinable
    public mutating func restored(
        _ result: Result<ReplicatedState<Machine>, any Error>, through index: LogIndex, at now: Instant,
        into actions: inout Actions
    ) {
        guard begin(now) else { return }
        guard restoring == index else { return settle(&actions) }
        restoring = nil
        switch result {
        case .failure(let error):
            stop("the leader's snapshot through \(index) does not decode: \(error)", &actions)
        case .success(let state):
            _state = state
            let held = heldEntries
            heldEntries.removeAll()
            for entry in held where entry.index > index && stopped == nil { apply(entry, &actions) }
            afterApplying(&actions)
        }
        settle(&actions)
    }

    /// The disk failed. On a full disk the driver keeps the write and retries it (a
    /// later `synced(through:)` says it went in); meanwhile the replica serves reads and
    /// applies what the others commit, but does not lead (see `diskTrouble`). Any other
    /// failure (a failed fsync above all: the kernel may have dropped the data) stops it,
    /// since nothing it acknowledged afterwards could be trusted.
    @inlinable
    public mutating func diskFailed(_ reason: String, diskFull: Bool, at now: Instant, into actions: inout Actions) {
        guard begin(now) else { return }
        if diskFull {
            if diskTrouble == nil { diskCannotWrite(reason, &actions) }
        } else {
            stop("storage failed: \(reason)", &actions)
        }
        settle(&actions)
    }

    /// Feeds the consensus core an input the replica does not name (a raw proposal of
    /// opaque data, Raft's leadership transfer), acting on its output like any other.
    @inlinable
    public mutating func drive<Result>(
        at now: Instant, into actions: inout Actions,
        _ input: (inout Consensus, Instant, inout Consensus.Output) -> Result
    ) -> Result? {
        guard begin(now) else { return nil }
        let result = drive(&actions, input)
        settle(&actions)
        return result
    }

    // MARK: Driving the consensus core

    /// The log cannot be made durable here: the consensus core abstains (a leader hands
    /// over), and the writes waiting in the Request Batch go to whoever leads next. Those
    /// already proposed stay: the followers may still commit them.
    @inlinable
    mutating func diskCannotWrite(_ reason: String, _ actions: inout Actions) {
        _diskTrouble = reason
        actions.diskHealthChanged = true
        drive(&actions) { core, now, out in core.abstain(true, at: now, into: &out) }
        proposeBatchIfReady(&actions)
    }

    /// Starts an input; false once the replica has stopped.
    @inlinable
    mutating func begin(_ now: Instant) -> Bool {
        if now > self.now { self.now = now }
        return stopped == nil
    }

    /// Feeds one input to the consensus core, then acts on what it handed back for the
    /// replica: a snapshot to restore, committed entries to apply, read points.
    @inlinable
    @discardableResult
    mutating func drive<Result>(
        _ actions: inout Actions, _ input: (inout Consensus, Instant, inout Consensus.Output) -> Result
    ) -> Result {
        let committedBefore = actions.consensus.committed.count
        let readsBefore = actions.consensus.reads.count
        let failedBefore = actions.consensus.failedReads.count
        let restoredBefore = actions.consensus.restored?.lastIndex
        let writesBefore = actions.consensus.writes.count
        let result = input(&_consensus, now, &actions.consensus)
        consensusWakeAt = actions.consensus.wakeAt
        if diskWaitingSince == nil, actions.consensus.writes.count > writesBefore { diskWaitingSince = now }
        if let snapshot = actions.consensus.restored, snapshot.lastIndex != restoredBefore {
            restore(snapshot, &actions)
        }
        // The output's arrays are bound only when they grew: most inputs add nothing to
        // them, and each binding costs a retain on the hot path.
        if actions.consensus.committed.count > committedBefore {
            let committed = actions.consensus.committed
            if restoring != nil {
                heldEntries.append(contentsOf: committed[committedBefore...])
            } else {
                for entry in committed[committedBefore...] where stopped == nil { apply(entry, &actions) }
                afterApplying(&actions)
            }
        }
        if actions.consensus.reads.count > readsBefore {
            readyReads.append(contentsOf: actions.consensus.reads[readsBefore...])
            serveReadyReads(&actions)
        }
        if actions.consensus.failedReads.count > failedBefore {
            let failed = actions.consensus.failedReads
            for id in failed[failedBefore...] { readPointRefused(id, &actions) }
        }
        if catchingUp, !consensus.isCatchingUp {
            catchingUp = false
            actions.caughtUp = true
        }
        return result
    }

    /// Ends an input: the replica wants to be woken for the consensus core's timers and
    /// for the first retry or deadline of a waiting request.
    @inlinable
    mutating func settle(_ actions: inout Actions) {
        let sweep = writes.isEmpty && reads.isEmpty ? Instant.distantFuture : nextSweep
        var wake = min(consensusWakeAt, sweep)
        if diskTrouble == nil, let since = diskWaitingSince { wake = min(wake, since + options.diskStallLimit) }
        actions.wakeAt = wake
    }

    @inlinable
    mutating func stop(_ reason: String, _ actions: inout Actions) {
        guard stopped == nil else { return }
        _stopped = reason
        actions.fatal = reason
    }

    // MARK: The state machine

    /// Applies one committed entry and answers whoever waits for its commands here.
    @inlinable
    mutating func apply(_ entry: LogEntry, _ actions: inout Actions) {
        let results = _state.apply(entry)
        guard let proposal = proposed.removeValue(forKey: entry.index) else { return }
        guard proposal.term == entry.term, results.count == proposal.answers.count else {
            // Another leader's entry took this index: ours never committed here.
            for answer in proposal.answers { lost(answer, &actions) }
            return
        }
        for (answer, result) in zip(proposal.answers, results) {
            switch result {
            case .reply(let reply): self.answer(answer, .reply(reply), &actions)
            case .answered: break
            case .undecodable(let reason): self.answer(answer, .failed(reason), &actions)
            }
        }
    }

    @inlinable
    mutating func afterApplying(_ actions: inout Actions) {
        serveReadyReads(&actions)
        let every = UInt64(max(0, options.snapshotEvery))
        let behind = state.appliedIndex.rawValue - min(state.appliedIndex.rawValue, compactedThrough.rawValue)
        // A snapshot on its way to a follower holds compaction, for at most
        // `compactionHoldFactor` intervals so that a log cannot grow without bound.
        let held = consensus.holdsCompaction && behind < every * Self.compactionHoldFactor
        if every > 0, !compactionQueued, !held, behind >= every {
            compactionQueued = true
            actions.compactionDue = true
        }
    }

    /// The consensus core installed a snapshot from the leader: the machine becomes its
    /// image. One that does not decode stops the replica rather than apply later entries
    /// on top of the old state.
    @inlinable
    mutating func restore(_ snapshot: Snapshot, _ actions: inout Actions) {
        if options.restoresOffThread {
            restoring = snapshot.lastIndex
            heldEntries.removeAll()
            actions.restoreDue = snapshot
        } else {
            do {
                _state = try ReplicatedState(snapshot: snapshot.data)
            } catch {
                return stop("the leader's snapshot through \(snapshot.lastIndex) does not decode: \(error)", &actions)
            }
        }
        _compactedThrough = snapshot.lastIndex
        for index in proposed.keys.sorted() where index <= snapshot.lastIndex {
            // The snapshot may or may not hold these; the forward sessions tell on retry.
            for answer in proposed.removeValue(forKey: index)!.answers { lost(answer, &actions) }
        }
    }
}
