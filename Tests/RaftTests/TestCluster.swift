import Raft
import SynodCore
import Testing

/// A hand-driven cluster of `RaftNode` values: nothing happens unless a test says so.
///
/// Every node draws from its own seeded stream, time is one `now` the test moves by
/// hand, messages wait in `network` until delivered, and writes wait in `unsynced`
/// until the test syncs them onto the node's `Disk`. `crash` loses what was not
/// synced; `restart` rebuilds the node from its disk, as a real server would.
struct TestCluster {
    /// What a node's disk holds: the synced writes, applied in order.
    struct Disk: Equatable {
        var hardState = HardState()
        var snapshot: Snapshot?
        /// The log after the snapshot.
        var entries: [LogEntry] = []

        var lastIndex: LogIndex { entries.last?.index ?? snapshot?.lastIndex ?? .zero }
        var log: RaftLog {
            RaftLog(baseIndex: snapshot?.lastIndex ?? .zero, baseTerm: snapshot?.lastTerm ?? .zero, entries: entries)
        }
    }

    let members: [NodeID]
    let configuration: RaftConfiguration
    let seed: UInt64
    var now: Instant = .zero
    /// Sent and not yet delivered, in send order.
    var network: [Envelope<RaftMessage>] = []
    /// Nodes that are crashed or cut off: `settle` drops messages to and from them.
    var down: Set<NodeID> = []
    private(set) var nodes: [NodeID: RaftNode] = [:]
    private(set) var unsynced: [NodeID: [RaftWrite]] = [:]
    private(set) var disks: [NodeID: Disk] = [:]
    /// What each node handed out in `committed`, in order (reset by `restart`).
    private(set) var applied: [NodeID: [LogEntry]] = [:]
    /// Every message each node released, in order, across restarts.
    private(set) var sent: [NodeID: [Envelope<RaftMessage>]] = [:]
    private(set) var wakeAt: [NodeID: Instant] = [:]
    /// Every snapshot each node was told to restore its state machine from.
    private(set) var restored: [NodeID: [Snapshot]] = [:]
    /// Every read point each node released, in order.
    private(set) var reads: [NodeID: [ReadState]] = [:]
    private var restarts: UInt64 = 0

    /// Builds the cluster; a node with a `disks` entry starts from that durable state.
    /// Every node is ticked once at time zero so that its first wake-up is known.
    init(
        members: [NodeID] = [1, 2, 3], configuration: RaftConfiguration = RaftConfiguration(), seed: UInt64 = 1,
        disks: [NodeID: Disk] = [:], elections: ElectionSafeguards = .plain
    ) {
        // The paper's tests describe Raft without PreVote or CheckQuorum unless a test asks.
        var configuration = configuration
        configuration.elections = elections
        self.members = members
        self.configuration = configuration
        self.seed = seed
        for id in members {
            let random = SeededGenerator(seed: seed, stream: UInt64(id.rawValue))
            if let disk = disks[id] {
                self.disks[id] = disk
                nodes[id] = RaftNode(
                    id: id, members: members, configuration: configuration, hardState: disk.hardState,
                    snapshot: disk.snapshot, log: disk.log, now: now, random: random)
            } else {
                nodes[id] = RaftNode(id: id, members: members, configuration: configuration, now: now, random: random)
            }
            tick(id)
        }
    }

    subscript(id: NodeID) -> RaftNode { nodes[id]! }

    /// Puts back a node the test drove by hand, recording what it asked for.
    mutating func replace(_ id: NodeID, with node: RaftNode, output: RaftOutput) {
        nodes[id] = node
        record(output, of: id)
    }

    /// The read points `id` has released so far.
    func released(_ id: NodeID) -> [ReadState] { reads[id] ?? [] }

    // MARK: Inputs

    @discardableResult
    mutating func tick(_ id: NodeID) -> RaftOutput {
        var out = RaftOutput()
        nodes[id]!.tick(at: now, into: &out)
        record(out, of: id)
        return out
    }

    @discardableResult
    mutating func deliver(_ envelope: Envelope<RaftMessage>) -> RaftOutput {
        var out = RaftOutput()
        nodes[envelope.to]!.receive(envelope, at: now, into: &out)
        record(out, of: envelope.to)
        return out
    }

    /// Delivers a message the test made up, as if `from` had sent it.
    @discardableResult
    mutating func receive(_ message: RaftMessage, from: NodeID, to: NodeID) -> RaftOutput {
        deliver(Envelope(from: from, to: to, message: message))
    }

    @discardableResult
    mutating func propose(_ data: [UInt8], on id: NodeID) -> (ProposeResult, RaftOutput) {
        var out = RaftOutput()
        let result = nodes[id]!.propose(data, at: now, into: &out)
        record(out, of: id)
        return (result, out)
    }

    /// Log compaction on `id`: its state machine's image after `index` is `data`.
    @discardableResult
    mutating func compact(_ id: NodeID, through index: LogIndex, data: [UInt8]) -> RaftOutput {
        var out = RaftOutput()
        nodes[id]!.compact(through: index, data: data, at: now, into: &out)
        record(out, of: id)
        return out
    }

    /// Writes `id`'s pending writes up to `through` (all of them by default) to its disk
    /// and reports the sync to the node.
    @discardableResult
    mutating func sync(_ id: NodeID, through: PersistID? = nil) -> RaftOutput {
        let pending = unsynced[id, default: []]
        guard let last = through ?? pending.last?.id else { return RaftOutput() }
        var disk = disks[id, default: Disk()]
        var rest: [RaftWrite] = []
        for write in pending {
            guard write.id <= last else {
                rest.append(write)
                continue
            }
            if let hardState = write.hardState { disk.hardState = hardState }
            if let from = write.truncateFrom { disk.entries.removeAll { $0.index >= from } }
            if let snapshot = write.snapshot {
                let matches = disk.log.term(at: snapshot.lastIndex) == snapshot.lastTerm
                disk.entries.removeAll { !matches || $0.index <= snapshot.lastIndex }
                disk.snapshot = snapshot
            }
            if let first = write.entries.first, first.index != disk.lastIndex.advanced(by: 1) {
                Issue.record(
                    "write \(write.id) of \(id) starts at \(first.index) on a disk ending at \(disk.lastIndex)")
            }
            disk.entries.append(contentsOf: write.entries)
        }
        disks[id] = disk
        unsynced[id] = rest
        var out = RaftOutput()
        nodes[id]!.synced(through: last, at: now, into: &out)
        record(out, of: id)
        return out
    }

    /// Storage damage: `id`'s disk keeps only its first `count` log entries.
    mutating func chop(_ id: NodeID, to count: Int) {
        disks[id]!.entries.removeSubrange(count...)
    }

    /// Loses `id`'s unsynced writes and cuts it off until `restart`.
    mutating func crash(_ id: NodeID) {
        unsynced[id] = []
        down.insert(id)
    }

    /// Rebuilds `id` from its disk, with a fresh random stream, and ticks it once.
    /// `catchUp` restarts it as a server whose recovery cut away damage.
    mutating func restart(_ id: NodeID, catchUp: CatchUp? = nil) {
        restarts += 1
        let disk = disks[id, default: Disk()]
        nodes[id] = RaftNode(
            id: id, members: members, configuration: configuration, hardState: disk.hardState,
            snapshot: disk.snapshot, log: disk.log, catchUp: catchUp, now: now,
            random: SeededGenerator(seed: seed, stream: UInt64(id.rawValue) + 1_000 * restarts))
        unsynced[id] = []
        applied[id] = []
        down.remove(id)
        tick(id)
    }

    // MARK: Driving

    /// Removes and returns the messages in flight that match.
    mutating func take(from: NodeID? = nil, to: NodeID? = nil) -> [Envelope<RaftMessage>] {
        let matches = { (e: Envelope<RaftMessage>) in (from == nil || e.from == from) && (to == nil || e.to == to) }
        let taken = network.filter(matches)
        network.removeAll(where: matches)
        return taken
    }

    /// Delivers the messages in flight that match, in order; returns the last output.
    @discardableResult
    mutating func deliverAll(from: NodeID? = nil, to: NodeID? = nil) -> RaftOutput {
        var out = RaftOutput()
        for envelope in take(from: from, to: to) { out = deliver(envelope) }
        return out
    }

    /// Delivers every message (dropping those to or from a node that is down, or that
    /// `drop` picks), syncs every write and ticks every leader that is due, until
    /// nothing is left to do. No time passes.
    mutating func settle(dropping drop: (Envelope<RaftMessage>) -> Bool = { _ in false }) {
        for _ in 0..<10_000 {
            if !network.isEmpty {
                let envelope = network.removeFirst()
                if down.contains(envelope.from) || down.contains(envelope.to) || drop(envelope) { continue }
                deliver(envelope)
            } else if let id = members.first(where: { !down.contains($0) && !unsynced[$0, default: []].isEmpty }) {
                sync(id)
            } else if let id = members.first(where: {
                !down.contains($0) && nodes[$0]!.role == .leader && wakeAt[$0]! <= now
            }) {
                tick(id)
            } else {
                return
            }
        }
        Issue.record("the cluster did not settle")
    }

    /// Lets `id`'s election timer fire and settles, until `id` leads (a few rounds at most).
    mutating func elect(_ id: NodeID) {
        for _ in 0..<5 {
            now = max(now, wakeAt[id]!)
            tick(id)
            settle()
            if nodes[id]!.role == .leader { return }
        }
        Issue.record("\(id) did not become leader")
    }

    /// Runs the cluster until `end`: each step jumps to the earliest wake-up, ticks
    /// every node that is due and settles (messages take no time).
    mutating func run(until end: Instant) {
        while true {
            let up = members.filter { !down.contains($0) }
            guard let next = up.map({ wakeAt[$0]! }).min(), next <= end else { break }
            now = max(now, next)
            for id in up where wakeAt[id]! <= now { tick(id) }
            settle()
        }
        now = max(now, end)
    }

    private mutating func record(_ out: RaftOutput, of id: NodeID) {
        for envelope in out.messages where envelope.from != id {
            Issue.record("\(id) sent a message as \(envelope.from)")
        }
        unsynced[id, default: []].append(contentsOf: out.writes)
        network.append(contentsOf: out.messages)
        sent[id, default: []].append(contentsOf: out.messages)
        if let snapshot = out.restored { restored[id, default: []].append(snapshot) }
        applied[id, default: []].append(contentsOf: out.committed)
        reads[id, default: []].append(contentsOf: out.reads)
        wakeAt[id] = out.wakeAt
    }
}

// MARK: Building values

/// Entries numbered from 1 whose terms are `terms`: `entries(1, 1, 2)` is 1@1, 2@1, 3@2.
func entries(_ terms: UInt64...) -> [LogEntry] {
    terms.enumerated().map { LogEntry(term: Term($0.element), index: LogIndex(UInt64($0.offset) + 1)) }
}

func entry(_ index: LogIndex, term: Term) -> LogEntry { LogEntry(term: term, index: index) }

extension TestCluster.Disk {
    init(term: Term, votedFor: NodeID? = nil, log: [LogEntry] = []) {
        self.init(hardState: HardState(term: term, votedFor: votedFor), entries: log)
    }
}

// MARK: Reading outputs

extension RaftMessage {
    var requestVote: RequestVote? {
        if case .requestVote(let m) = self { return m }
        return nil
    }
    var voteResponse: RequestVoteResponse? {
        if case .requestVoteResponse(let m) = self { return m }
        return nil
    }
    var appendEntries: AppendEntries? {
        if case .appendEntries(let m) = self { return m }
        return nil
    }
    var appendResponse: AppendEntriesResponse? {
        if case .appendEntriesResponse(let m) = self { return m }
        return nil
    }
}

extension Array where Element == Envelope<RaftMessage> {
    func to(_ id: NodeID) -> [Envelope<RaftMessage>] { filter { $0.to == id } }
    var requestVotes: [RequestVote] { compactMap(\.message.requestVote) }
    var voteResponses: [RequestVoteResponse] { compactMap(\.message.voteResponse) }
    /// AppendEntries with the heartbeat round left out, for comparing content.
    var appends: [AppendEntries] {
        compactMap(\.message.appendEntries).map {
            var m = $0
            m.round = 0
            return m
        }
    }
    var appendRounds: [UInt64] { compactMap(\.message.appendEntries?.round) }
    var responseRounds: [UInt64] { compactMap(\.message.appendResponse?.round) }
    var appendResponses: [AppendEntriesResponse] {
        compactMap(\.message.appendResponse).map {
            var m = $0
            m.round = 0
            return m
        }
    }
}

extension RaftLog {
    /// The terms of the entries, index 1 first.
    var terms: [UInt64] { entries.map(\.term.rawValue) }
}

/// A three-server cluster in which node 1 has won term 1, replicated and committed
/// its no-op everywhere (the followers learn the commit index at the next heartbeat).
func clusterWithLeader(
    configuration: RaftConfiguration = RaftConfiguration(), seed: UInt64 = 1
) -> TestCluster {
    var cluster = TestCluster(configuration: configuration, seed: seed)
    cluster.elect(1)
    return cluster
}
