import Logging
import Metrics
import NIOCore
import Raft
import Storage
import SynodCore

/// What the peer network delivers to a node. The network knows nothing of the state
/// machine, so it holds its node through this.
protocol PeerInbox: AnyObject {
    var configuration: ServerConfiguration { get }
    var loop: any EventLoop { get }
    func receive(_ envelope: Envelope<RaftMessage>)
    func forwardedWrite(from peer: NodeID, id: UInt64, request: [UInt8])
    func forwardReplied(id: UInt64, reply: [UInt8])
}

/// What the node needs from its peer network: send Raft messages and forwarded client
/// requests, batched until `flush`. Messages may be lost; Raft tolerates that.
protocol PeerTransport: AnyObject {
    func send(_ envelope: Envelope<RaftMessage>)
    func forward(to peer: NodeID, id: UInt64, request: [UInt8])
    func forwardReply(to peer: NodeID, id: UInt64, reply: [UInt8])
    func flush()
}

/// One replica: the Raft core, the replicated state machine and the disk writer, driven
/// on one event loop. Every input (a tick, a message, a client request, a finished
/// sync) runs on that loop, feeds the core, and carries out the core's output: writes
/// go to the disk thread, messages to the peers, committed entries to the machine.
///
/// Not thread-safe by itself: everything but `init` must run on `loop`.
final class ReplicaNode<Machine: StateMachine>: PeerInbox, @unchecked Sendable {
    let configuration: ServerConfiguration
    let loop: any EventLoop
    var logger: Logger
    var raft: RaftNode
    var state: ReplicatedState<Machine>
    var output = RaftOutput()
    var clock = MonotonicClock()
    var disk: DiskWriter!
    weak var transport: (any PeerTransport)?
    var wake: Scheduled<Void>?
    var wakeAt = Instant.distantFuture
    /// This server's forward session: every write it takes is numbered in it, so a write
    /// retried on another leader is applied once (see `ForwardSessions`).
    let session = UInt64.random(in: 1...UInt64.max)
    var nextSequence: UInt64 = 1
    var firstUnanswered: UInt64 = 1
    /// Writes taken here and not yet answered, by sequence number.
    var writes: [UInt64: PendingWrite] = [:]
    /// Request Batch: commands waiting to be proposed as one entry, and who to answer.
    var batch: [BatchItem] = []
    var batchAnswers: [Answer] = []
    var batchFlushQueued = false
    /// Entries this server proposed, by log index: whom to answer for each command.
    var proposed: [LogIndex: Proposal] = [:]
    /// Reads waiting for a read point, and read points waiting for the machine to apply.
    var reads: [UInt64: Read] = [:]
    var readyReads: [ReadState] = []
    var nextReadID: UInt64 = 1
    var compactedThrough: LogIndex
    var compactionQueued = false
    var stopped = false
    /// Whether forward replies wait in the transport for a flush.
    var repliesUnflushed = false
    /// Set when the disk failed: the server stops acknowledging anything.
    var storageFailure: StorageError?
    /// Called once when the server must stop (a fatal storage error).
    var onFatal: ((String) -> Void)?
    /// Whether the core started in catch-up (see `CatchUp`) and has not left it yet.
    var catchingUp = false
    let metrics: ServerMetrics
    /// Publishes the core's state to the gauges after each step (see `Metrics.swift`).
    var observer: CoreMetricsObserver

    struct Read {
        var deadline: Instant
        /// Answers from the machine, or with nil when no read point came in time.
        var serve: (Machine?) -> Void
    }

    /// Who waits for a command of a batch: a write taken here, or a peer that forwarded it.
    enum Answer {
        case local(sequence: UInt64)
        case peer(NodeID, id: UInt64)
    }

    struct Proposal {
        var term: Term
        var answers: [Answer]
    }

    init(configuration: ServerConfiguration, loop: any EventLoop, logger: Logger) throws(StorageError) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        metrics = ServerMetrics(node: configuration.id, factory: configuration.metricsFactory ?? MetricsSystem.factory)
        observer = CoreMetricsObserver(metrics: metrics)
        let (storage, recovered) = try FileStorage.open(directory: configuration.dataDirectory + "/wal")
        for note in recovered.notes { logger.warning("storage recovery: \(note)") }
        let catchUp = recovered.damage.map { CatchUp(possibleEnd: $0.possibleEnd, term: recovered.hardState.term) }
        if let damage = recovered.damage {
            logger.error(
                "storage recovery cut away damage that may have held acknowledged entries: \(damage); rejoining without a vote until caught up"
            )
        }
        let log = RaftLog(
            baseIndex: recovered.baseIndex, baseTerm: recovered.snapshot?.lastTerm ?? .zero, entries: recovered.entries)
        var seed = SeededGenerator(seed: UInt64.random(in: 1...UInt64.max))
        raft = RaftNode(
            id: configuration.id, members: configuration.members, configuration: configuration.raft,
            hardState: recovered.hardState, snapshot: recovered.snapshot, log: log, catchUp: catchUp,
            now: clock.now(), random: SeededGenerator(seed: seed.next()))
        if let snapshot = recovered.snapshot {
            do {
                state = try ReplicatedState(snapshot: snapshot.data)
            } catch {
                throw .corrupt(
                    file: configuration.dataDirectory + "/wal/snapshot", offset: 0, reason: "state machine: \(error)")
            }
        } else {
            state = ReplicatedState()
        }
        compactedThrough = recovered.baseIndex
        catchingUp = raft.catchUp != nil
        logger.info(
            "recovered \(recovered.hardState), snapshot through \(recovered.baseIndex), log through \(recovered.lastIndex)"
        )
        disk = DiskWriter(
            storage: storage, metrics: metrics,
            synced: { [weak self] id in
                guard let self else { return }
                self.loop.execute {
                    self.step { node, now, out in node.synced(through: id, at: now, into: &out) }
                    self.proposeBatchIfReady()
                }
            },
            failed: { [weak self] error in
                guard let self else { return }
                self.loop.execute { self.diskFailed(error) }
            })
    }

    /// Starts the timers: the first tick decides when the next is due.
    func start() {
        loop.execute {
            self.step { node, now, out in node.tick(at: now, into: &out) }
            self.sweepWrites()
        }
    }

    func stop() {
        stopped = true
        wake?.cancel()
        disk.stop()
    }

    func receive(_ envelope: Envelope<RaftMessage>) {
        step { node, now, out in node.receive(envelope, at: now, into: &out) }
    }

    // MARK: Driving the core

    /// Feeds one input to the core and carries out everything it asked for.
    func step(_ input: (inout RaftNode, Instant, inout RaftOutput) -> Void) {
        loop.preconditionInEventLoop()
        output.removeAll()
        input(&raft, clock.now(), &output)
        carryOut()
    }

    private func carryOut() {
        if !output.writes.isEmpty, storageFailure == nil {
            disk.submit(output.writes, commitHint: raft.commitIndex)
        }
        if let transport {
            for envelope in output.messages { transport.send(envelope) }
            if !output.messages.isEmpty { transport.flush() }
        }
        if let snapshot = output.restored { restore(snapshot) }
        if !output.committed.isEmpty { apply(output.committed) }
        if !output.reads.isEmpty || !output.failedReads.isEmpty { readPointsReleased() }
        if catchingUp, raft.catchUp == nil {
            catchingUp = false
            logger.notice("caught up after the storage damage: voting again")
            disk.clearCatchUp()
        }
        flushReplies()
        observer.observe(raft, applied: state.appliedIndex)
        schedule(output.wakeAt)
    }

    private func schedule(_ at: Instant) {
        guard at < wakeAt || wake == nil else { return }
        wake?.cancel()
        wakeAt = at
        let delay = max(0, at.nanoseconds - clock.now().nanoseconds)
        wake = loop.assumeIsolated().scheduleTask(in: .nanoseconds(delay)) { [self] in
            wake = nil
            wakeAt = .distantFuture
            step { node, now, out in node.tick(at: now, into: &out) }
        }
    }

    /// A full disk stops writes but the server keeps serving reads; any other storage
    /// error (a failed fsync above all: the kernel may have dropped the data) stops the
    /// server, since nothing it acknowledged afterwards could be trusted.
    private func diskFailed(_ error: StorageError) {
        storageFailure = error
        for (_, proposal) in proposed {
            for answer in proposal.answers { self.answer(answer, .failed("storage failed: \(error)")) }
        }
        proposed.removeAll()
        for answer in batchAnswers { self.answer(answer, .failed("storage failed: \(error)")) }
        batch.removeAll()
        batchAnswers.removeAll()
        flushReplies()
        if case .diskFull = error {
            logger.error("\(error); writes are refused until the server is restarted with free space")
        } else {
            logger.critical("storage failed: \(error); stopping")
            onFatal?("\(error)")
        }
    }

    // MARK: The state machine

    private func apply(_ entries: [LogEntry]) {
        for entry in entries {
            let results = state.apply(entry)
            guard let proposal = proposed.removeValue(forKey: entry.index) else { continue }
            guard proposal.term == entry.term, results.count == proposal.answers.count else {
                // Another leader's entry took this index: ours never committed here.
                for answer in proposal.answers { lost(answer) }
                continue
            }
            for (answer, result) in zip(proposal.answers, results) {
                switch result {
                case .reply(let reply): self.answer(answer, .reply(reply))
                case .answered: break
                case .undecodable(let reason): self.answer(answer, .failed(reason))
                }
            }
        }
        serveReadyReads()
        if state.appliedIndex.rawValue >= compactedThrough.rawValue + UInt64(configuration.snapshotEvery),
            !compactionQueued
        {
            compactionQueued = true
            loop.execute { self.compact() }
        }
    }

    private func restore(_ snapshot: Snapshot) {
        do {
            state = try ReplicatedState(snapshot: snapshot.data)
        } catch {
            logger.critical("the leader's snapshot through \(snapshot.lastIndex) does not decode: \(error)")
            return
        }
        compactedThrough = snapshot.lastIndex
        for (index, proposal) in proposed where index <= snapshot.lastIndex {
            // The snapshot may or may not hold these; the forward sessions tell on retry.
            for answer in proposal.answers { lost(answer) }
            proposed.removeValue(forKey: index)
        }
        logger.info("installed the leader's snapshot through \(snapshot.lastIndex)")
    }

    /// Log compaction: the machine's image at its applied index replaces the log up to it.
    private func compact() {
        compactionQueued = false
        let index = state.appliedIndex
        guard index > compactedThrough, index <= raft.appliedIndex else { return }
        let data = state.snapshot()
        compactedThrough = index
        step { node, now, out in node.compact(through: index, data: data, at: now, into: &out) }
        logger.debug("compacted the log through \(index) (\(data.count) bytes)")
    }
}

/// How a write ended: the machine's reply (encoded), or why there is none.
enum WriteOutcome: Sendable {
    case reply([UInt8])
    /// Not done, and perhaps done later (the write may still commit): retry under a session.
    case failed(String)
    /// Refused before anything happened: the leader is overloaded.
    case busy(String)
}
