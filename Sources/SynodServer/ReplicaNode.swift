import Logging
import Metrics
import NIOCore
import NIOPosix
import Raft
import Replication
import Storage
import SynodCore

/// The NIO shell around one `ReplicaCore`: it feeds the core its inputs (ticks from a
/// timer at `wakeAt`, messages from peer connections, requests from clients, finished
/// syncs from the disk thread), each with the monotonic clock's instant, and carries out
/// the actions in order. Every decision is the core's, which the simulator runs too.
///
/// Confined to `loop`: everything but `init` runs there (`step` checks), which is why
/// the unchecked `Sendable` is sound; the disk thread and the API reach it only through
/// `loop.execute`.
final class ReplicaNode<Machine: StateMachine>: PeerInbox, @unchecked Sendable {
    typealias Core = ReplicaCore<RaftNode, Machine>

    let configuration: ServerConfiguration
    let loop: any EventLoop
    var logger: Logger
    var core: Core
    var actions = Core.Actions()
    var clock = MonotonicClock()
    var disk: DiskWriter!
    weak var transport: (any PeerTransport)?
    var wake: Scheduled<Void>?
    var wakeAt = Instant.distantFuture
    var stopped = false
    /// Who waits for each write and read the core holds, by the token given with it.
    var nextToken: UInt64 = 1
    var writeWaiters: [UInt64: (WriteOutcome) -> Void] = [:]
    var readWaiters: [UInt64: (Machine?) -> Void] = [:]
    /// Called once when the server must stop (a fatal storage error, a bad snapshot).
    var onFatal: ((String) -> Void)?
    /// Called once the node has stopped (closing the client port, for one).
    var onStop: [() -> Void] = []
    let metrics: ServerMetrics
    /// Encodes snapshots for log compaction, off the event loop.
    let snapshotPool = NIOThreadPool(numberOfThreads: 1)
    /// Publishes the core's state to the gauges after each step (see `Metrics.swift`).
    var observer: CoreMetricsObserver

    var raft: RaftNode { core.consensus }
    var state: ReplicatedState<Machine> { core.state }

    init(configuration: ServerConfiguration, loop: any EventLoop, logger: Logger) throws(StorageError) {
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        metrics = ServerMetrics(node: configuration.id, factory: configuration.metricsFactory ?? MetricsSystem.factory)
        observer = CoreMetricsObserver(metrics: metrics)
        let storage: FileStorage
        (storage, core) = try Self.recover(configuration, now: clock.now(), logger: logger)
        snapshotPool.start()
        disk = DiskWriter(
            storage: storage, metrics: metrics,
            synced: { [weak self] id in
                guard let self else { return }
                self.loop.execute { self.step { core, now, out in core.synced(through: id, at: now, into: &out) } }
            },
            failed: { [weak self] error in
                guard let self else { return }
                self.loop.execute { self.diskFailed(error) }
            })
    }

    /// Starts the timers: the first tick decides when the next is due.
    func start() {
        loop.execute { self.step { core, now, out in core.tick(at: now, into: &out) } }
    }

    func stop() {
        stopped = true
        wake?.cancel()
        disk.stop()
        snapshotPool.shutdownGracefully { _ in }
    }

    // MARK: Inputs

    func receive(_ envelope: Envelope<RaftMessage>) {
        step { core, now, out in core.receive(envelope, at: now, into: &out) }
    }

    func receive(_ envelope: Envelope<ForwardMessage>) {
        step { core, now, out in core.receive(envelope, at: now, into: &out) }
    }

    /// Replicates an encoded command and calls `done` once it is applied, or failed at the
    /// request timeout.
    func write(_ command: [UInt8], done: @escaping (WriteOutcome) -> Void) {
        let token = nextToken
        nextToken += 1
        writeWaiters[token] = done
        step { core, now, out in core.write(command, token: token, at: now, into: &out) }
    }

    /// Runs `query` on the machine at a linearizable point and passes its result to
    /// `done`, or nil when no read point came before the request timeout.
    func read<Result>(_ query: @escaping (Machine) -> Result, done: @escaping (Result?) -> Void) {
        let token = nextToken
        nextToken += 1
        readWaiters[token] = { machine in done(machine.map(query)) }
        step { core, now, out in core.read(token: token, at: now, into: &out) }
    }

    /// A full disk: the disk thread retries, and the core hands leadership over meanwhile
    /// (logged with the change of health). Any other storage error stops the server.
    private func diskFailed(_ error: StorageError) {
        let full = if case .diskFull = error { true } else { false }
        step { core, now, out in core.diskFailed("\(error)", diskFull: full, at: now, into: &out) }
    }

    // MARK: Carrying out the core's actions

    /// Feeds one input to the core and carries out everything it asked for.
    func step(_ input: (inout Core, Instant, inout Core.Actions) -> Void) {
        loop.preconditionInEventLoop()
        guard !stopped else { return }
        actions.removeAll()
        input(&core, clock.now(), &actions)
        carryOut()
    }

    private func carryOut() {
        let consensus = actions.consensus
        if !consensus.writes.isEmpty {
            // Behind a write a full disk refused, they wait for its retry.
            disk.submit(consensus.writes, commitHint: core.consensus.commitIndex)
        }
        if let transport {
            for envelope in consensus.messages { transport.send(envelope) }
            for envelope in actions.forwards { transport.send(envelope) }
            if !consensus.messages.isEmpty || !actions.forwards.isEmpty { transport.flush() }
        }
        if let snapshot = actions.restoreDue {
            // Decoding a large machine takes long: off the event loop, then back.
            let index = snapshot.lastIndex
            snapshotPool.runIfActive(eventLoop: loop) {
                Result { try ReplicatedState<Machine>(snapshot: snapshot.data) }
            }.whenSuccess { [self] result in
                if case .success = result { logger.info("installed the leader's snapshot through \(index)") }
                step { core, now, out in core.restored(result, through: index, at: now, into: &out) }
            }
        }
        for (token, outcome) in actions.replies { writeWaiters.removeValue(forKey: token)?(outcome) }
        if !actions.reads.isEmpty {
            let machine = core.state.machine
            for (token, served) in actions.reads { readWaiters.removeValue(forKey: token)?(served ? machine : nil) }
        }
        for size in actions.proposedBatches { metrics.batchCommands.record(size) }
        if actions.flushBatch {
            // After the rest of this burst of input, so that it joins the batch.
            loop.execute { self.step { core, now, out in core.proposeBatch(at: now, into: &out) } }
        }
        if actions.compactionDue, let (index, image) = core.compactionImage() {
            // Encoding a large machine takes long: off the event loop, then back.
            snapshotPool.runIfActive(eventLoop: loop) { image.snapshot() }.whenSuccess { [self] data in
                step { core, now, out in core.compact(through: index, data: data, at: now, into: &out) }
                logger.debug("compacted the log through \(index) (\(data.count) bytes)")
            }
        }
        if actions.caughtUp {
            logger.notice("caught up after the storage damage: voting again")
            disk.clearCatchUp()
        }
        if actions.diskHealthChanged { diskHealthChanged() }
        observer.observe(core.consensus, applied: core.state.appliedIndex)
        if let reason = actions.fatal {
            logger.critical("\(reason); stopping")
            return onFatal?(reason) ?? ()
        }
        schedule(actions.wakeAt)
    }

    /// Says once, in the log and the metrics, that the disk stopped writing or writes again.
    private func diskHealthChanged() {
        if let trouble = core.diskTrouble {
            metrics.diskHealthy.record(0)
            metrics.diskFailures.increment()
            logger.error(
                "disk cannot write: \(trouble); stepping down (handing leadership over) and staying out of elections until it writes again"
            )
        } else {
            metrics.diskHealthy.record(1)
            logger.notice("disk writes again: this server may lead again")
        }
    }

    private func schedule(_ at: Instant) {
        guard at < wakeAt || wake == nil else { return }
        wake?.cancel()
        wakeAt = at
        let delay = max(0, at.nanoseconds - clock.now().nanoseconds)
        wake = loop.assumeIsolated().scheduleTask(in: .nanoseconds(delay)) { [self] in
            wake = nil
            wakeAt = .distantFuture
            step { core, now, out in core.tick(at: now, into: &out) }
        }
    }
}
