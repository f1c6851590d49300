import KV
import Paxos
import Raft
import Replication
import SynodCore

/// The replica interface the driver uses: every server is a `ReplicaCore` (the value
/// `synod serve` runs) around the consensus core the cluster runs, and its inputs are
/// dispatched to the Raft or the Multi-Paxos replicas. Everything above them (clients,
/// faults, scenarios) is the same for both.
typealias RaftReplica = ReplicaCore<RaftNode, KVStore>
typealias PaxosReplica = ReplicaCore<MultiPaxosNode, KVStore>

extension Simulation {
    /// The replica layer's settings in this run: the workload's timeouts and read mode,
    /// the options' compaction interval and replica bugs.
    var replicaOptions: ReplicaOptions {
        var replica = ReplicaOptions()
        // Multi-Paxos keeps no snapshots: its replicas never compact.
        replica.snapshotEvery = isMultiPaxos ? 0 : options.compactEvery
        replica.bugs = options.replicaBugs
        if let workload = options.workload {
            replica.requestTimeout = workload.operationTimeout
            replica.forwardTimeout = workload.attemptTimeout * 2
            replica.readConfirmation = workload.readMode == .lease ? .lease : .readIndex
        }
        return replica
    }

    /// A replica around a (new or restarted) consensus core; nil when the snapshot it
    /// restarts from does not decode.
    func makeReplica<Consensus: ConsensusCore>(
        _ consensus: Consensus, snapshot: Snapshot?, slot: Int
    ) -> ReplicaCore<Consensus, KVStore>? {
        let stream = UInt64(200 + slot) + UInt64(incarnations[slot]) << 16
        return try? ReplicaCore(
            consensus: consensus, snapshot: snapshot, options: replicaOptions, now: clocks[slot].local(now),
            random: SeededGenerator(seed: seed, stream: stream))
    }

    /// Time has passed for `slot`.
    mutating func tickServer(_ slot: Int) {
        if isMultiPaxos {
            stepMultiPaxos(slot) { node, now, out in node.tick(at: now, into: &out) }
        } else {
            step(slot) { node, now, out in node.tick(at: now, into: &out) }
        }
    }

    /// An opaque proposal (the proposals workload, the liveness probe) straight to the
    /// consensus core of the server at `slot`, answered as Raft answers: the position and
    /// stamp (term, or the ballot's generation) of the entry, or a leader hint.
    mutating func propose(_ data: [UInt8], on slot: Int) -> ProposeResult {
        var result: ProposeResult?
        if isMultiPaxos {
            stepMultiPaxos(slot) { replica, now, out in
                result = replica.drive(at: now, into: &out) { node, now, out in node.propose(data, at: now, into: &out)
                }
            }
        } else {
            step(slot) { replica, now, out in
                result = replica.drive(at: now, into: &out) { node, now, out in node.propose(data, at: now, into: &out)
                }
            }
        }
        return result ?? .rejected(leaderHint: nil)
    }

    /// A client's write (an encoded `KVRequest`) to the replica at `slot`.
    mutating func replicaWrite(_ command: [UInt8], token: UInt64, on slot: Int) {
        if isMultiPaxos {
            stepMultiPaxos(slot) { replica, now, out in replica.write(command, token: token, at: now, into: &out) }
        } else {
            step(slot) { replica, now, out in replica.write(command, token: token, at: now, into: &out) }
        }
    }

    /// A client's linearizable read to the replica at `slot`.
    mutating func replicaRead(token: UInt64, on slot: Int) {
        if isMultiPaxos {
            stepMultiPaxos(slot) { replica, now, out in replica.read(token: token, at: now, into: &out) }
        } else {
            step(slot) { replica, now, out in replica.read(token: token, at: now, into: &out) }
        }
    }

    /// The Request Batch of `slot` goes now that the input at this instant is fed.
    mutating func flushBatch(slot: Int) {
        if isMultiPaxos {
            stepMultiPaxos(slot) { replica, now, out in replica.proposeBatch(at: now, into: &out) }
        } else {
            step(slot) { replica, now, out in replica.proposeBatch(at: now, into: &out) }
        }
    }

    /// The key-value store of a live server, as its replica applied it.
    func store(_ slot: Int) -> KVStore? {
        isMultiPaxos ? paxos[slot]?.state.machine : servers[slot]?.state.machine
    }

    /// How far a live server's replica has applied the log.
    func appliedIndex(_ slot: Int) -> LogIndex {
        (isMultiPaxos ? paxos[slot]?.state.appliedIndex : servers[slot]?.state.appliedIndex) ?? .zero
    }

    mutating func send(_ envelope: Envelope<ForwardMessage>) {
        transmit(from: envelope.from, to: envelope.to, .deliverForward(envelope))
    }

    mutating func deliver(_ envelope: Envelope<ForwardMessage>) {
        let slot = envelope.to.rawValue - 1
        guard !network.isDown(from: envelope.from, to: envelope.to), isUp[slot] else { return }
        if trace != nil { emit("\(envelope.to) <- \(envelope.from) \(Self.describe(envelope.message))") }
        if isMultiPaxos {
            stepMultiPaxos(slot) { replica, now, out in replica.receive(envelope, at: now, into: &out) }
        } else {
            step(slot) { replica, now, out in replica.receive(envelope, at: now, into: &out) }
        }
    }

    static func describe(_ message: ForwardMessage) -> String {
        switch message {
        case .request(let id, _): "Forward id=\(id)"
        case .reply(_, let id, let outcome):
            switch outcome {
            case .reply: "ForwardReply id=\(id) applied"
            case .failed(let reason): "ForwardReply id=\(id) failed: \(reason)"
            case .busy: "ForwardReply id=\(id) busy"
            }
        }
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
        for case let replica? in paxos where replica.consensus.role == .leader {
            if best == nil || replica.consensus.ballot > best!.ballot { best = replica.consensus }
        }
        return best?.id
    }

    func multiPaxosSummary() -> String {
        members.map { id -> String in
            guard let node = paxos[id.rawValue - 1]?.consensus else { return "\(id): down" }
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
