import Paxos
import SynodCore

/// A Multi-Paxos cluster for unit tests: messages go into a queue and are delivered
/// one by one in order, writes sync at once (or are held for `syncManually` servers),
/// time moves only when a test says so. No randomness besides the seeded cores.
struct MultiPaxosTestCluster {
    var nodes: [MultiPaxosNode?]
    var durable: [MultiPaxosDurableState]
    var pendingWrites: [[MultiPaxosWrite]]
    var queue: [Envelope<MultiPaxosMessage>] = []
    var sent: [Envelope<MultiPaxosMessage>] = []
    var committed: [[LogEntry]]
    /// Links that drop messages, as (from, to).
    var cut: Set<[Int]> = []
    var syncManually: Set<Int> = []
    var now = Instant.zero
    let quorums: PaxosQuorums
    let members: [NodeID]

    init(nodes count: Int = 5, quorums: PaxosQuorums? = nil, seed: UInt64 = 1) {
        members = (1...count).map { NodeID($0) }
        self.quorums = quorums ?? PaxosQuorums(nodes: count)
        nodes = members.map {
            MultiPaxosNode(
                id: $0, members: (1...count).map { NodeID($0) }, quorums: quorums ?? PaxosQuorums(nodes: count),
                now: .zero, random: SeededGenerator(seed: seed, stream: UInt64($0.rawValue)))
        }
        durable = Array(repeating: MultiPaxosDurableState(), count: count)
        pendingWrites = Array(repeating: [], count: count)
        committed = Array(repeating: [], count: count)
    }

    func node(_ id: Int) -> MultiPaxosNode { nodes[id - 1]! }

    mutating func input(_ id: Int, _ body: (inout MultiPaxosNode, Instant, inout MultiPaxosOutput) -> Void) {
        guard nodes[id - 1] != nil else { return }
        var out = MultiPaxosOutput()
        body(&nodes[id - 1]!, now, &out)
        handle(id, out)
    }

    mutating func handle(_ id: Int, _ out: MultiPaxosOutput) {
        committed[id - 1].append(contentsOf: out.committed)
        queue.append(contentsOf: out.messages)
        sent.append(contentsOf: out.messages)
        guard !out.writes.isEmpty else { return }
        pendingWrites[id - 1].append(contentsOf: out.writes)
        if !syncManually.contains(id) { sync(id) }
    }

    /// Makes every pending write of `id` durable and tells the core.
    mutating func sync(_ id: Int) {
        guard let last = pendingWrites[id - 1].last else { return }
        for write in pendingWrites[id - 1] { durable[id - 1].apply(write) }
        pendingWrites[id - 1].removeAll()
        input(id) { node, now, out in node.synced(through: last.id, at: now, into: &out) }
    }

    /// Delivers queued messages (and those they cause) until none is left.
    mutating func deliverAll(limit: Int = 100_000) {
        var steps = 0
        while !queue.isEmpty, steps < limit {
            let envelope = queue.removeFirst()
            steps += 1
            let to = envelope.to.rawValue
            if cut.contains([envelope.from.rawValue, to]) || nodes[to - 1] == nil { continue }
            input(to) { node, now, out in node.receive(envelope, at: now, into: &out) }
        }
    }

    /// Moves time forward and ticks every live server.
    mutating func advance(_ span: TimeSpan) {
        now = now + span
        for id in members.map(\.rawValue) { input(id) { node, now, out in node.tick(at: now, into: &out) } }
    }

    /// Lets `id`'s election timer fire and runs phase 1 to the end.
    mutating func elect(_ id: Int) {
        now = now + .milliseconds(250)
        input(id) { node, now, out in node.tick(at: now, into: &out) }
        deliverAll()
    }

    mutating func propose(_ id: Int, _ text: String) -> ProposeResult {
        var result = ProposeResult.rejected(leaderHint: nil)
        input(id) { node, now, out in result = node.propose(Array(text.utf8), at: now, into: &out) }
        return result
    }

    mutating func isolate(_ id: Int) {
        for other in members.map(\.rawValue) where other != id {
            cut.insert([id, other])
            cut.insert([other, id])
        }
    }

    mutating func reconnect(_ id: Int) { cut = cut.filter { !$0.contains(id) } }

    /// Crashes `id` (unsynced writes are lost) and starts it again from its disk.
    mutating func restart(_ id: Int) {
        pendingWrites[id - 1].removeAll()
        committed[id - 1].removeAll()
        nodes[id - 1] = MultiPaxosNode(
            id: NodeID(id), members: members, quorums: quorums, durable: durable[id - 1], now: now,
            random: SeededGenerator(seed: 99, stream: UInt64(id)))
    }

    /// The applied commands of `id` as text ("·" for a no-op).
    func texts(_ id: Int) -> [String] {
        committed[id - 1].map { $0.kind == .noop ? "·" : String(decoding: $0.data, as: UTF8.self) }
    }

    func count(where predicate: (MultiPaxosMessage) -> Bool) -> Int { sent.filter { predicate($0.message) }.count }
}

extension MultiPaxosMessage {
    var isPrepare: Bool { if case .prepare = self { true } else { false } }
    var isPromise: Bool { if case .promise = self { true } else { false } }
}
