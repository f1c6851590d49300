import Checker
import Raft
import Storage
import SynodCore

/// Raft in the simulator: the invariant checker follows every log, disk, commit and
/// election; Raft's storage recovery rule (catch-up after a damaged tail) decides restarts.
extension RaftNode: SimulatedConsensus {
    static func makeChecks(members: [NodeID], options: SimulationOptions) -> InvariantChecker {
        InvariantChecker(members: members)
    }

    static func commitIndex(_ checks: InvariantChecker) -> LogIndex { checks.commitIndex }
    static func committedCommands(_ checks: InvariantChecker) -> Int { checks.committedCommands }
    static func mayVote(_ id: NodeID, _ checks: InvariantChecker) -> Bool { checks.mayVote(id) }

    static func start(
        id: NodeID, members: [NodeID], options: SimulationOptions, now: Instant, random: SeededGenerator
    ) -> RaftNode {
        RaftNode(id: id, members: members, configuration: configuration(options), now: now, random: random)
    }

    /// The options' configuration, with the simulator's snapshot chunk.
    static func configuration(_ options: SimulationOptions) -> RaftConfiguration {
        var configuration = options.raft
        if let chunk = options.snapshotChunkSize { configuration.snapshotChunkSize = chunk }
        return configuration
    }

    static var compacts: Bool { true }
    static var takesStorageAndTransferFaults: Bool { true }

    var observed: ObservedCore { ObservedCore(role: role, term: term, epoch: term, commit: commitIndex) }

    var summary: String { "\(role) term=\(term) last=\(log.lastIndex)@\(log.lastTerm) commit=\(commitIndex)" }

    func transitionLine(from before: ObservedCore) -> String? {
        "\(role) term=\(term) log=\(log.lastIndex)@\(log.lastTerm)"
    }

    static func wireSize(_ message: RaftMessage) -> Int {
        switch message {
        case .appendEntries(let request):
            request.entries.reduce(wireHeader) { $0 + $1.data.count + RaftNode.entryFraming }
        case .installSnapshot(let request): wireHeader + request.data.count
        default: wireHeader
        }
    }

    /// A message's fixed fields, about: kind, term, indexes, round.
    static var wireHeader: Int { 48 }

    static func carriesEntries(_ message: RaftMessage) -> Bool {
        if case .appendEntries(let request) = message { !request.entries.isEmpty } else { false }
    }

    static func persist(
        slot: Int, before: ObservedCore, after: ObservedCore, in sim: inout ClusterSimulation<RaftNode>
    ) -> Bool {
        let id = sim.members[slot]
        if let restored = sim.actions.consensus.restored, let failure = sim.checks.installed(id, restored) {
            sim.fail(.safety, failure)
            return false
        }
        for write in sim.actions.consensus.writes {
            if let failure = sim.checks.logChanged(id, truncateFrom: write.truncateFrom, entries: write.entries) {
                sim.fail(.safety, failure)
                return false
            }
            sim.disks[slot].currentWrite = write.id
            // The simulated disk never refuses an operation; faults strike at crashes.
            try? sim.disks[slot].perform(
                hardState: write.hardState, commitHint: after.commit, truncateFrom: write.truncateFrom,
                snapshot: write.snapshot, entries: write.entries)
            if sim.disks[slot].busyUntil <= sim.now { sim.startSync(slot: slot) }
        }
        if !sim.checks.mayVote(id), !sim.isCatchingUp(slot) {
            sim.checks.setVoting(id, true)
            sim.disks[slot].catchUpMarker = nil
            if sim.trace != nil { sim.emit("\(id) caught up: votes again") }
        }
        return true
    }

    static func transition(
        slot: Int, before: ObservedCore, after: ObservedCore, in sim: inout ClusterSimulation<RaftNode>
    ) -> CheckFailure? {
        let id = sim.members[slot]
        if after.role == .leader, after.role != before.role || after.term != before.term,
            let failure = sim.checks.becameLeader(id, term: after.term)
        {
            return failure
        }
        guard after.commit != before.commit else { return nil }
        let log = sim.log(slot)
        return sim.checks.commitAdvanced(id, term: after.term, to: after.commit, log: { log.entry(at: $0) })
    }

    static func applied(_ id: NodeID, _ entries: [LogEntry], _ checks: inout InvariantChecker) -> CheckFailure? {
        checks.applied(id, entries: entries)
    }

    static func checkSend(
        _ envelope: Envelope<RaftMessage>, slot: Int, in sim: ClusterSimulation<RaftNode>
    ) -> CheckFailure? {
        PromiseCheck.check(
            envelope, durableHardState: sim.disks[slot].hardState,
            durableLogLength: Int(sim.disks[slot].lastIndex.rawValue))
    }

    static func mirror(
        _ changes: [SimulatedDisk.DiskChange], of id: NodeID, in sim: inout ClusterSimulation<RaftNode>
    ) -> CheckFailure? {
        for change in changes {
            let failure: CheckFailure?
            switch change {
            case .none: failure = nil
            case .truncated(let from): failure = sim.checks.diskChanged(id, truncateFrom: from, entries: [])
            case .appended(let entries): failure = sim.checks.diskChanged(id, truncateFrom: nil, entries: entries)
            case .snapshot(let image, let discarded):
                failure = sim.checks.diskSnapshot(id, image, discardedLog: discarded)
            }
            if let failure { return failure }
        }
        return nil
    }

    static func crashed(_ id: NodeID, _ checks: inout InvariantChecker) { checks.crashed(id) }

    static func diskDamaged(_ id: NodeID, refused: Bool, _ checks: inout InvariantChecker) {
        if refused { checks.setVoting(id, false) }
        checks.diskDamaged(id)
    }

    /// The storage recovery rule: a damaged tail is cut and, when it may have held
    /// acknowledged entries, the server rejoins as a non-voter until it catches up.
    static func restart(_ id: NodeID, from recovered: RecoveredState, in sim: inout ClusterSimulation<RaftNode>) {
        let slot = id.rawValue - 1
        sim.disks[slot].cut(to: recovered)
        if let failure = sim.checks.diskChanged(id, truncateFrom: recovered.lastIndex.advanced(by: 1), entries: []) {
            sim.fail(.safety, failure)
        }
        sim.isUp[slot] = true
        let base = recovered.baseIndex
        let catchUp = recovered.damage.map { CatchUp(possibleEnd: $0.possibleEnd, term: recovered.hardState.term) }
        let raft = RaftNode(
            id: id, members: sim.members, configuration: configuration(sim.options), hardState: recovered.hardState,
            snapshot: recovered.snapshot,
            log: RaftLog(baseIndex: base, baseTerm: recovered.snapshot?.lastTerm ?? .zero, entries: recovered.entries),
            catchUp: catchUp, now: sim.clocks[slot].local(sim.now), random: sim.coreRandom(slot))
        guard let replica = sim.makeReplica(raft, snapshot: recovered.snapshot, slot: slot) else {
            sim.isUp[slot] = false
            return sim.fail(.safety, "state-machine-safety", "\(id) cannot restore the snapshot on its disk")
        }
        sim.servers[slot] = replica
        // The core's own view: with `vote-after-data-loss` it keeps no catch-up state.
        if let catchUp = sim.servers[slot]?.consensus.catchUp {
            sim.report.damagedRestarts += 1
            sim.checks.catchingUp(id, term: catchUp.term, possibleEnd: catchUp.possibleEnd)
        } else {
            sim.checks.setVoting(id, true)
        }
        if let failure = sim.checks.restarted(id, from: base) { sim.fail(.safety, failure) }
        if sim.trace != nil {
            var line = "\(id) restart \(recovered.hardState) log=\(base)+\(recovered.entries.count)"
            for note in recovered.notes { line += "; \(note)" }
            if let damage = recovered.damage { line += "; damage: \(damage); rejoins catching up" }
            sim.emit(line)
        }
    }
}
