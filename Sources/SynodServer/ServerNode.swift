import KV
import Logging
import Metrics
import NIOCore
import Raft
import Storage
import SynodCore

/// What the node needs from its peer network: send Raft messages and forwarded client
/// requests, batched until `flush`. Messages may be lost; Raft tolerates that.
protocol PeerTransport: AnyObject {
    func send(_ envelope: Envelope<RaftMessage>)
    func forward(to peer: NodeID, id: UInt64, request: [UInt8])
    func forwardReply(to peer: NodeID, id: UInt64, reply: [UInt8])
    func flush()
}

/// One Synod server: the Raft core, the key-value store and the disk writer, driven on
/// one event loop. Every input (a tick, a message, a client request, a finished sync)
/// runs on that loop, feeds the core, and carries out the core's output: writes go to
/// the disk thread, messages to the peers, committed entries to the store.
///
/// Not thread-safe by itself: everything but `init` must run on `loop`.
final class ServerNode: @unchecked Sendable {
    let configuration: ServerConfiguration
    let loop: any EventLoop
    var logger: Logger
    var raft: RaftNode
    var store: KVStore
    var output = RaftOutput()
    var clock = MonotonicClock()
    var disk: DiskWriter!
    weak var transport: (any PeerTransport)?
    var wake: Scheduled<Void>?
    var wakeAt = Instant.distantFuture
    /// Proposals this server made, by log index: answered once applied (or failed when
    /// another term's entry lands there).
    var waiting: [LogIndex: Waiter] = [:]
    /// Reads waiting for a read point, and read points waiting for the store to apply.
    var reads: [UInt64: Read] = [:]
    var readyReads: [ReadState] = []
    var nextReadID: UInt64 = 1
    /// Requests this server forwarded to the leader, by forward id.
    var forwarded: [UInt64: (KVOutcome) -> Void] = [:]
    var nextForwardID: UInt64 = 1
    var compactedThrough: LogIndex
    var compactionQueued = false
    /// Set when the disk failed: the server stops acknowledging anything.
    var storageFailure: StorageError?
    /// Called once when the server must stop (a fatal storage error).
    var onFatal: ((String) -> Void)?
    /// Whether the core started in catch-up (see `CatchUp`) and has not left it yet.
    var catchingUp = false
    let metrics: ServerMetrics
    /// Publishes the core's state to the gauges after each step (see `Metrics.swift`).
    var observer: CoreMetricsObserver

    struct Waiter {
        var term: Term
        var done: (KVOutcome) -> Void
    }

    struct Read {
        var keys: [String]
        var deadline: Instant
        var done: ([(value: String?, version: LogIndex?)]?) -> Void
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
                store = try KVStore(snapshot: snapshot.data)
            } catch {
                throw .corrupt(
                    file: configuration.dataDirectory + "/wal/snapshot", offset: 0, reason: "state machine: \(error)")
            }
        } else {
            store = KVStore()
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
                self.loop.execute { self.step { node, now, out in node.synced(through: id, at: now, into: &out) } }
            },
            failed: { [weak self] error in
                guard let self else { return }
                self.loop.execute { self.diskFailed(error) }
            })
    }

    /// Starts the timers: the first tick decides when the next is due.
    func start() {
        loop.execute { self.step { node, now, out in node.tick(at: now, into: &out) } }
    }

    func stop() {
        wake?.cancel()
        disk.stop()
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
        observer.observe(raft, applied: store.appliedIndex)
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
        for (_, waiter) in waiting { waiter.done(.failed("storage failed: \(error)")) }
        waiting.removeAll()
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
            let reply: KVReply?
            if entry.kind == .command, let request = try? KVRequest(decoding: entry.data) {
                reply = store.apply(request, at: entry.index)
            } else {
                store.applyNoop(at: entry.index)
                reply = nil
            }
            if let waiter = waiting.removeValue(forKey: entry.index) {
                if waiter.term == entry.term, let reply {
                    waiter.done(.reply(reply))
                } else {
                    waiter.done(.failed("leadership changed before the write committed; it was not applied"))
                }
            }
        }
        serveReadyReads()
        if store.appliedIndex.rawValue >= compactedThrough.rawValue + UInt64(configuration.snapshotEvery),
            !compactionQueued
        {
            compactionQueued = true
            loop.execute { self.compact() }
        }
    }

    private func restore(_ snapshot: Snapshot) {
        do {
            store = try KVStore(snapshot: snapshot.data)
        } catch {
            logger.critical("the leader's snapshot through \(snapshot.lastIndex) does not decode: \(error)")
            return
        }
        compactedThrough = snapshot.lastIndex
        for (index, waiter) in waiting where index <= snapshot.lastIndex {
            waiter.done(.failed("replaced by a snapshot before the write could be confirmed; retry"))
            waiting.removeValue(forKey: index)
        }
        logger.info("installed the leader's snapshot through \(snapshot.lastIndex)")
    }

    /// Log compaction: the store's image at its applied index replaces the log up to it.
    private func compact() {
        compactionQueued = false
        let index = store.appliedIndex
        guard index > compactedThrough, index <= raft.appliedIndex else { return }
        let data = store.snapshot()
        compactedThrough = index
        step { node, now, out in node.compact(through: index, data: data, at: now, into: &out) }
        logger.debug("compacted the log through \(index) (\(data.count) bytes)")
    }
}

/// How a client operation ended: the store's reply, or why there is none.
enum KVOutcome: Sendable {
    case reply(KVReply)
    /// Not done, and perhaps done later (the write may still commit): retry under a session.
    case failed(String)
    /// Refused before anything happened: the leader is overloaded.
    case busy(String)
}
