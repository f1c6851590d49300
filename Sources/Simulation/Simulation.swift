import Checker
import Paxos
import Raft
import SynodCore

/// A whole cluster in one thread on virtual time, running the protocol its options name:
/// a discrete-event loop ordered by (time, sequence), one seeded generator per concern,
/// an in-memory network and disks, and the checkers after every event. A run is a
/// function of (options, seed).
///
/// ```swift
/// var sim = Simulation(options: SimulationOptions(faults: .swarm), seed: 42)
/// let report = sim.run()
/// if let violation = report.violation { print(violation) }
/// ```
///
/// Tests can also tell a story with the fault API: `run(until:)`, `partition(_:_:)`,
/// `cut(from:to:)`, `crash(_:)`, `restart(_:)`, `heal()`.
///
/// The engine is `ClusterSimulation`, generic over the consensus core; this type picks
/// it once, from `options.consensus`. Exactly one of the two engines is set, so every
/// call below goes to that one (optional chaining mutates it in place).
public struct Simulation {
    var raft: ClusterSimulation<RaftNode>?
    var multiPaxos: ClusterSimulation<MultiPaxosNode>?

    public init(options: SimulationOptions, seed: UInt64) {
        precondition(options.nodes >= 1, "a cluster needs at least one node")
        switch options.consensus {
        case .raft: raft = ClusterSimulation(options: options, seed: seed)
        case .multiPaxos: multiPaxos = ClusterSimulation(options: options, seed: seed)
        }
    }

    public var options: SimulationOptions { raft?.options ?? multiPaxos!.options }
    public var seed: UInt64 { raft?.seed ?? multiPaxos!.seed }
    public var members: [NodeID] { raft?.members ?? multiPaxos!.members }
    /// Virtual time, the same for the whole cluster; each node reads it through its own clock.
    public var now: Instant { raft?.now ?? multiPaxos!.now }
    public var report: SimulationReport { raft?.report ?? multiPaxos!.report }
    /// Every finished client operation, in the order they finished.
    public var history: [ClientOperation] { raft?.history ?? multiPaxos!.history }
    /// The history in the checker's format.
    public var historyOperations: [HistoryOperation] { raft?.historyOperations ?? multiPaxos!.historyOperations }
    /// Virtual latency of every answered read.
    public var readLatencies: [TimeSpan] { raft?.readLatencies ?? multiPaxos!.readLatencies }
    /// For local (follower) reads: how many committed entries the server had not yet
    /// applied, and for how long the oldest of them had been committed.
    public var staleEntries: [Int] { raft?.staleEntries ?? multiPaxos!.staleEntries }
    public var staleTimes: [TimeSpan] { raft?.staleTimes ?? multiPaxos!.staleTimes }
    /// The cluster's state at regular instants, when sampling is on (for timelines).
    public var samples: [Sample] { raft?.samples ?? multiPaxos!.samples }
    /// The live leader of the highest term (or ballot), if any.
    public var leader: NodeID? { if let raft { raft.leader } else { multiPaxos!.leader } }
    /// The highest index known committed anywhere.
    public var commitIndex: LogIndex { raft?.commitIndex ?? multiPaxos!.commitIndex }
    var clocks: [SimulatedClock] { raft?.clocks ?? multiPaxos!.clocks }
    static let maxSwarmSkew = ClusterSimulation<RaftNode>.maxSwarmSkew

    /// A live Raft server's core, for tests and reports (nil in a Multi-Paxos cluster).
    public func server(_ id: NodeID) -> RaftNode? { raft?.server(id) }
    /// A live Multi-Paxos server's core, for tests and reports (nil in a Raft cluster).
    public func multiPaxosServer(_ id: NodeID) -> MultiPaxosNode? { multiPaxos?.server(id) }

    /// One line per server: role, term (or ballot), log end, commit index; or "down".
    public func stateSummary() -> String { raft?.stateSummary() ?? multiPaxos!.stateSummary() }

    // MARK: Running

    /// Runs the whole scenario: faults during the first 80% of `duration`, then healed,
    /// then until the liveness check is decided and `duration` has passed.
    public mutating func run(trace: ((String) -> Void)? = nil) -> SimulationReport {
        if raft != nil { return raft!.run(trace: trace) }
        return multiPaxos!.run(trace: trace)
    }

    /// Runs events up to and including `deadline` (or the first violation).
    public mutating func run(until deadline: Instant) {
        raft?.run(until: deadline)
        multiPaxos?.run(until: deadline)
    }

    public mutating func run(for span: TimeSpan) { run(until: now + span) }

    /// Records a `Sample` every `interval` of virtual time from now on.
    public mutating func sample(every interval: TimeSpan) {
        raft?.sample(every: interval)
        multiPaxos?.sample(every: interval)
    }

    // MARK: Faults

    /// Cuts every link between the two groups, both ways.
    public mutating func partition(_ side: [NodeID], _ other: [NodeID]) {
        raft?.partition(side, other)
        multiPaxos?.partition(side, other)
    }

    /// Cuts one direction of one link: `from` can no longer reach `to`.
    public mutating func cut(from: NodeID, to: NodeID) {
        raft?.cut(from: from, to: to)
        multiPaxos?.cut(from: from, to: to)
    }

    /// Restores one direction of one link.
    public mutating func restore(from: NodeID, to: NodeID) {
        raft?.restore(from: from, to: to)
        multiPaxos?.restore(from: from, to: to)
    }

    /// Limits the link from `from` to `to` to `bytesPerSecond`, or lifts the limit (nil):
    /// messages queue behind each other on it, as on a slow WAN link.
    public mutating func limitBandwidth(from: NodeID, to: NodeID, bytesPerSecond: Int?) {
        raft?.limitBandwidth(from: from, to: to, bytesPerSecond: bytesPerSecond)
        multiPaxos?.limitBandwidth(from: from, to: to, bytesPerSecond: bytesPerSecond)
    }

    /// Cuts both directions between two servers.
    public mutating func disconnect(_ a: NodeID, _ b: NodeID) {
        raft?.disconnect(a, b)
        multiPaxos?.disconnect(a, b)
    }

    /// Restores both directions between two servers.
    public mutating func reconnect(_ a: NodeID, _ b: NodeID) {
        raft?.reconnect(a, b)
        multiPaxos?.reconnect(a, b)
    }

    /// Whether messages from `from` to `to` are dropped.
    public func isCut(from: NodeID, to: NodeID) -> Bool {
        raft?.isCut(from: from, to: to) ?? multiPaxos!.isCut(from: from, to: to)
    }

    /// Cuts a server off from every other, both ways.
    public mutating func isolate(_ id: NodeID) {
        raft?.isolate(id)
        multiPaxos?.isolate(id)
    }

    /// Stops a server. Its disk keeps what was synced and perhaps a prefix of the rest,
    /// the last record of which may be torn; a lying disk loses synced records too.
    public mutating func crash(_ id: NodeID) {
        raft?.crash(id)
        multiPaxos?.crash(id)
    }

    /// Starts a crashed server again from what its disk holds, by the protocol's
    /// storage recovery rule.
    public mutating func restart(_ id: NodeID) {
        raft?.restart(id)
        multiPaxos?.restart(id)
    }

    /// A story's storage fault: a bit flips in `id`'s synced log record at `position`
    /// (counted from the oldest record kept after the snapshot; nil: the newest).
    public mutating func flipBit(on id: NodeID, record position: Int? = nil) {
        raft?.flipBit(on: id, record: position)
        multiPaxos?.flipBit(on: id, record: position)
    }

    /// Whether `id`'s storage recovery refused to start it (it stays down).
    public func refusedToStart(_ id: NodeID) -> Bool { raft?.refusedToStart(id) ?? multiPaxos!.refusedToStart(id) }

    /// Whether the checker lets `id` vote (false while it catches up after damage).
    public func mayVote(_ id: NodeID) -> Bool { raft?.mayVote(id) ?? multiPaxos!.mayVote(id) }

    /// Every link up, no loss, no slow disk, every crashed server restarted.
    public mutating func heal() {
        raft?.heal()
        multiPaxos?.heal()
    }

    /// Makes a server's disk slow (syncs take milliseconds) or fast again.
    public mutating func setSlowDisk(_ id: NodeID, _ slow: Bool) {
        raft?.setSlowDisk(id, slow)
        multiPaxos?.setSlowDisk(id, slow)
    }

    /// Asks `leader` to hand leadership to `target` (§3.10). Returns whether it agreed;
    /// Multi-Paxos never does.
    @discardableResult
    public mutating func transferLeadership(from leader: NodeID, to target: NodeID) -> Bool {
        raft?.transferLeadership(from: leader, to: target) ?? false
    }
}
