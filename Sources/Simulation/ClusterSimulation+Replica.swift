import KV
import Replication
import SynodCore

/// The replica interface the driver uses: every server is a `ReplicaCore` (the value
/// `synod serve` runs) around the cluster's consensus core. Everything above it
/// (clients, faults, scenarios) is the same for every protocol.
extension ClusterSimulation {
    /// The replica layer's settings in this run: the workload's timeouts and read mode,
    /// the options' compaction interval and replica bugs, a stall limit from the timing.
    var replicaOptions: ReplicaOptions {
        var replica = ReplicaOptions()
        replica.snapshotEvery = Core.compacts ? options.compactEvery : 0
        replica.bugs = options.replicaBugs
        // A hung sync is noticed after three election timeouts: no slow disk of the
        // simulator (a sync takes at most 30 ms) comes near it.
        let electionTimeout =
            switch options.consensus {
            case .raft: options.raft.electionTimeoutMax
            case .multiPaxos: options.multiPaxos.electionTimeoutMax
            }
        replica.diskStallLimit = electionTimeout * 3
        if let workload = options.workload {
            replica.requestTimeout = workload.operationTimeout
            replica.forwardTimeout = workload.attemptTimeout * 2
            replica.readConfirmation = workload.readMode == .lease ? .lease : .readIndex
        }
        return replica
    }

    /// A replica around a (new or restarted) consensus core; nil when the snapshot it
    /// restarts from does not decode.
    func makeReplica(_ consensus: Core, snapshot: Snapshot?, slot: Int) -> Replica? {
        let stream = UInt64(200 + slot) + UInt64(incarnations[slot]) << 16
        return try? ReplicaCore(
            consensus: consensus, snapshot: snapshot, options: replicaOptions, now: clocks[slot].local(now),
            random: SeededGenerator(seed: seed, stream: stream))
    }

    /// Time has passed for `slot` (and for its disk, if it cannot write).
    mutating func tickServer(_ slot: Int) {
        if disks[slot].failure != nil { checkDisk(slot) }
        step(slot) { node, now, out in node.tick(at: now, into: &out) }
    }

    /// An opaque proposal (the proposals workload, the liveness probe) straight to the
    /// consensus core of the server at `slot`, answered as Raft answers: the position and
    /// stamp (term, or the ballot's generation) of the entry, or a leader hint.
    mutating func propose(_ data: [UInt8], on slot: Int) -> ProposeResult {
        var result: ProposeResult?
        step(slot) { replica, now, out in
            result = replica.drive(at: now, into: &out) { node, now, out in node.propose(data, at: now, into: &out) }
        }
        return result ?? .rejected(leaderHint: nil)
    }

    /// A client's write (an encoded `KVRequest`) to the replica at `slot`.
    mutating func replicaWrite(_ command: [UInt8], token: UInt64, on slot: Int) {
        step(slot) { replica, now, out in replica.write(command, token: token, at: now, into: &out) }
    }

    /// A client's linearizable read to the replica at `slot`.
    mutating func replicaRead(token: UInt64, on slot: Int) {
        step(slot) { replica, now, out in replica.read(token: token, at: now, into: &out) }
    }

    /// The Request Batch of `slot` goes now that the input at this instant is fed.
    mutating func flushBatch(slot: Int) {
        step(slot) { replica, now, out in replica.proposeBatch(at: now, into: &out) }
    }

    /// The key-value store of a live server, as its replica applied it.
    func store(_ slot: Int) -> KVStore? { servers[slot]?.state.machine }

    /// How far a live server's replica has applied the log.
    func appliedIndex(_ slot: Int) -> LogIndex { servers[slot]?.state.appliedIndex ?? .zero }

    mutating func send(_ envelope: Envelope<ForwardMessage>) {
        transmit(from: envelope.from, to: envelope.to, .deliverForward(envelope))
    }

    mutating func deliver(_ envelope: Envelope<ForwardMessage>) {
        let slot = envelope.to.rawValue - 1
        guard !network.isDown(from: envelope.from, to: envelope.to), isUp[slot] else { return }
        if trace != nil { emit("\(envelope.to) <- \(envelope.from) \(Self.describe(envelope.message))") }
        step(slot) { replica, now, out in replica.receive(envelope, at: now, into: &out) }
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
}
