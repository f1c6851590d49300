import KV
import Raft
import Replication
import SynodCore

/// Three key-value replicas over Raft, driven by hand: messages wait until `settle`
/// delivers them in send order (dropping those on cut links), disks sync at once, and
/// time moves only when a test says so. What the replicas answered is kept by token.
struct ReplicaCluster {
    typealias Core = ReplicaCore<RaftNode, KVStore>

    let members: [NodeID] = [1, 2, 3]
    var now: Instant = .zero
    var replicas: [NodeID: Core] = [:]
    var messages: [Envelope<RaftMessage>] = []
    var forwards: [Envelope<ForwardMessage>] = []
    /// Links that drop messages, as (from, to).
    var cut: Set<[NodeID]> = []
    var replies: [UInt64: WriteOutcome] = [:]
    var reads: [UInt64: Bool] = [:]
    var fatal: [NodeID: String] = [:]
    /// Replicas that asked for their batch to be proposed, in order.
    var flushes: [NodeID] = []
    var wakeAt: [NodeID: Instant] = [:]

    init(options: ReplicaOptions = ReplicaOptions()) {
        for id in members {
            let raft = RaftNode(
                id: id, members: members, now: .zero, random: SeededGenerator(seed: 10, stream: UInt64(id.rawValue)))
            replicas[id] = try! Core(
                consensus: raft, snapshot: nil, options: options, now: .zero,
                random: SeededGenerator(seed: 20, stream: UInt64(id.rawValue)))
        }
    }

    /// Feeds `id` one input and keeps what it asked for; its writes sync at once.
    mutating func step(_ id: NodeID, _ input: (inout Core, Instant, inout Core.Actions) -> Void) {
        var actions = Core.Actions()
        input(&replicas[id]!, now, &actions)
        messages += actions.consensus.messages
        forwards += actions.forwards
        for (token, outcome) in actions.replies { replies[token] = outcome }
        for (token, served) in actions.reads { reads[token] = served }
        if let reason = actions.fatal { fatal[id] = reason }
        if actions.flushBatch { flushes.append(id) }
        wakeAt[id] = actions.wakeAt
        if let last = actions.consensus.writes.last {
            step(id) { core, now, out in core.synced(through: last.id, at: now, into: &out) }
        }
    }

    /// Delivers every message and runs every batch flush, until nothing is left (at
    /// most `limit` deliveries, so that a loop fails the test instead of hanging it).
    @discardableResult
    mutating func settle(limit: Int = 10_000) -> Bool {
        var delivered = 0
        while delivered < limit {
            if !flushes.isEmpty {
                let id = flushes.removeFirst()
                step(id) { core, now, out in core.proposeBatch(at: now, into: &out) }
            } else if !messages.isEmpty {
                let envelope = messages.removeFirst()
                guard !cut.contains([envelope.from, envelope.to]) else { continue }
                step(envelope.to) { core, now, out in core.receive(envelope, at: now, into: &out) }
            } else if !forwards.isEmpty {
                let envelope = forwards.removeFirst()
                guard !cut.contains([envelope.from, envelope.to]) else { continue }
                step(envelope.to) { core, now, out in core.receive(envelope, at: now, into: &out) }
            } else {
                return true
            }
            delivered += 1
        }
        return false
    }

    /// Moves time on by `span` and wakes every replica whose wake-up came.
    mutating func advance(_ span: TimeSpan) {
        now = now + span
        for id in members where (wakeAt[id] ?? .zero) <= now {
            step(id) { core, now, out in core.tick(at: now, into: &out) }
        }
        settle()
    }

    /// Runs until some replica leads; returns it.
    mutating func electLeader() -> NodeID? {
        for _ in 0..<200 {
            if let leader = leader { return leader }
            advance(.milliseconds(5))
        }
        return nil
    }

    var leader: NodeID? { members.first { replicas[$0]!.consensus.role == .leader } }

    mutating func write(_ command: KVCommand, token: UInt64, on id: NodeID) {
        let request = KVRequest(command: command, time: now).encoded()
        step(id) { core, now, out in core.write(request, token: token, at: now, into: &out) }
    }

    func value(_ key: ByteString, on id: NodeID) -> ByteString? { replicas[id]!.state.machine.read(key).value }

    static func reply(_ outcome: WriteOutcome?) -> KVReply? {
        guard case .reply(let bytes) = outcome else { return nil }
        return try? KVReply(decoding: bytes)
    }
}
