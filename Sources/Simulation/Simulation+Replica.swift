import Paxos
import Raft
import SynodCore

/// The replica interface the driver uses: the inputs every consensus core takes (time,
/// messages, proposals), dispatched to the core the cluster runs. Everything above it
/// (clients, key-value stores, faults, scenarios) is the same for Raft and Multi-Paxos.
extension Simulation {
    /// Time has passed for `slot`.
    mutating func tickServer(_ slot: Int) {
        if isMultiPaxos {
            stepMultiPaxos(slot) { node, now, out in node.tick(at: now, into: &out) }
        } else {
            step(slot) { node, now, out in node.tick(at: now, into: &out) }
        }
    }

    /// A client proposal to the server at `slot`, answered as Raft answers: the position
    /// and stamp (term, or the ballot's generation) of the entry, or a leader hint.
    mutating func propose(_ data: [UInt8], on slot: Int) -> ProposeResult {
        if isMultiPaxos {
            var result = ProposeResult.rejected(leaderHint: nil)
            stepMultiPaxos(slot) { node, now, out in result = node.propose(data, at: now, into: &out) }
            return result
        }
        var result = ProposeResult.rejected(leaderHint: nil)
        step(slot) { node, now, out in result = node.propose(data, at: now, into: &out) }
        return result
    }

    mutating func send(_ envelope: Envelope<MultiPaxosMessage>) {
        transmit(from: envelope.from, to: envelope.to, .deliverPaxos(envelope))
    }

    mutating func deliver(_ envelope: Envelope<MultiPaxosMessage>) {
        let slot = envelope.to.rawValue - 1
        guard !network.isDown(from: envelope.from, to: envelope.to), isUp[slot] else { return }
        if trace != nil { emit("\(envelope.to) <- \(envelope.from) \(Self.describe(envelope.message))") }
        stepMultiPaxos(slot) { node, now, out in node.receive(envelope, at: now, into: &out) }
    }

    /// The live Multi-Paxos leader of the highest ballot, if any.
    var multiPaxosLeader: NodeID? {
        var best: MultiPaxosNode?
        for case let node? in paxos where node.role == .leader {
            if best == nil || node.ballot > best!.ballot { best = node }
        }
        return best?.id
    }

    func multiPaxosSummary() -> String {
        members.map { id -> String in
            guard let node = paxos[id.rawValue - 1] else { return "\(id): down" }
            return
                "\(id): \(node.role) promised=\(node.promised) slots=\(node.log.lastSlot) commit=\(node.commitIndex)"
        }.joined(separator: "; ")
    }

    /// Timelines draw Multi-Paxos roles with Raft's letters: a candidate runs phase 1.
    static func raftRole(of role: MultiPaxosRole) -> RaftRole {
        switch role {
        case .follower: .follower
        case .candidate: .candidate
        case .leader: .leader
        }
    }

    static func describe(_ message: MultiPaxosMessage) -> String {
        switch message {
        case .prepare(let m): "Prepare ballot=\(m.ballot) from=\(m.fromSlot)"
        case .promise(let m): "Promise ballot=\(m.ballot) accepted=\(m.accepted.count) chosen=\(m.chosen.count)"
        case .accept(let m):
            "Accept ballot=\(m.ballot) slots=\(m.entries.first.map { "\($0.index)" } ?? "-")+\(m.entries.count) commit=\(m.commit)"
        case .accepted(let m): "Accepted ballot=\(m.ballot) slots=\(m.slots.count) committed=\(m.committed)"
        case .reject(let m): "Reject ballot=\(m.ballot) promised=\(m.promised)"
        case .heartbeat(let m): "Heartbeat ballot=\(m.ballot) commit=\(m.commit) round=\(m.round)"
        case .heartbeatAck(let m): "HeartbeatAck ballot=\(m.ballot) committed=\(m.committed) round=\(m.round)"
        case .learn(let m): "Learn ballot=\(m.ballot) entries=\(m.entries.count)"
        }
    }
}
