import Checker
import Paxos
import Raft
import Storage
import SynodCore

/// Multi-Paxos in the simulator: acceptor state lands on the simulated disk through
/// `MultiPaxosJournal`, so a crash loses unsynced promises and accepts exactly as it
/// loses Raft's unsynced writes; the chosen-value checker counts durable accepts.
extension MultiPaxosNode: SimulatedConsensus {
    /// The chosen-value checker, and what each disk durably holds.
    struct Checks {
        var chosen: ChosenValueChecker
        /// Per server and slot, the ballot of the value its disk durably holds accepted.
        var durableBallots: [[Ballot]]
        /// Per server, the journal position of the last record written.
        var journalEnd: [LogIndex]
    }

    static func makeChecks(members: [NodeID], options: SimulationOptions) -> Checks {
        Checks(
            chosen: ChosenValueChecker(members: members, phase2: options.consensus.phase2Quorum(nodes: options.nodes)),
            durableBallots: Array(repeating: [], count: members.count),
            journalEnd: Array(repeating: .zero, count: members.count))
    }

    static func commitIndex(_ checks: Checks) -> LogIndex { checks.chosen.commitIndex }
    static func committedCommands(_ checks: Checks) -> Int { checks.chosen.committedCommands }

    static func start(
        id: NodeID, members: [NodeID], options: SimulationOptions, now: Instant, random: SeededGenerator
    ) -> MultiPaxosNode {
        MultiPaxosNode(
            id: id, members: members, quorums: quorums(options), configuration: configuration(options), now: now,
            random: random)
    }

    /// The options' configuration: leader stickiness comes with CheckQuorum.
    static func configuration(_ options: SimulationOptions) -> MultiPaxosConfiguration {
        var configuration = options.multiPaxos
        configuration.stickyLeader = options.raft.checkQuorum
        return configuration
    }

    static func quorums(_ options: SimulationOptions) -> PaxosQuorums {
        if case .multiPaxos(let quorums) = options.consensus { return quorums }
        return PaxosQuorums(nodes: options.nodes)
    }

    /// Multi-Paxos keeps no snapshots: its replicas never compact.
    static var compacts: Bool { false }

    /// The ballot a server stands on: its own while it campaigns or leads, else the promise.
    var standing: Ballot { role == .follower ? promised : ballot }

    var observed: ObservedCore {
        let standing = standing
        let drawn: RaftRole =
            switch role {
            case .follower: .follower
            case .candidate: .candidate
            case .leader: .leader
            }
        return ObservedCore(
            role: drawn, term: Term(standing.round), epoch: standing.generation, commit: commitIndex)
    }

    var summary: String { "\(role) promised=\(promised) slots=\(log.lastSlot) commit=\(commitIndex)" }

    func transitionLine(from before: ObservedCore) -> String? {
        guard role != .follower || before.role != .follower else { return nil }
        return "\(role) ballot=\(standing) commit=\(commitIndex)"
    }

    mutating func transferLeadership(to target: NodeID, at now: Instant, into out: inout MultiPaxosOutput) -> Bool {
        false
    }

    static func wireSize(_ message: MultiPaxosMessage) -> Int {
        let header = 48
        func size(_ entries: [LogEntry]) -> Int { entries.reduce(0) { $0 + $1.data.count + RaftNode.entryFraming } }
        return switch message {
        case .accept(let accept): header + size(accept.entries)
        case .learn(let learn): header + size(learn.entries)
        case .promise(let promise): header + size(promise.accepted.map(\.entry)) + size(promise.chosen)
        default: header
        }
    }

    static func carriesEntries(_ message: MultiPaxosMessage) -> Bool {
        if case .accept(let accept) = message { !accept.entries.isEmpty } else { false }
    }

    /// Puts each write on the disk: the promise as hard state, each accept as a record.
    /// A candidate's own promise is where the targeted slow sync strikes.
    static func persist(
        slot: Int, before: ObservedCore, after: ObservedCore, in sim: inout ClusterSimulation<MultiPaxosNode>
    ) -> Bool {
        if after.role == .candidate, before.role != .candidate || after.epoch != before.epoch {
            sim.delayPromiseSync(slot: slot)
        }
        for write in sim.actions.consensus.writes {
            var records: [LogEntry] = []
            records.reserveCapacity(write.accepts.count)
            for accepted in write.accepts {
                sim.checks.journalEnd[slot] = sim.checks.journalEnd[slot].advanced(by: 1)
                records.append(MultiPaxosJournal.record(accepted, at: sim.checks.journalEnd[slot]))
            }
            sim.disks[slot].currentWrite = write.id
            try? sim.disks[slot].perform(
                hardState: write.promised.map(MultiPaxosJournal.hardState(for:)), commitHint: .zero,
                truncateFrom: nil, snapshot: nil, entries: records)
            if sim.disks[slot].busyUntil <= sim.now { sim.startSync(slot: slot) }
        }
        return true
    }

    static func transition(
        slot: Int, before: ObservedCore, after: ObservedCore, in sim: inout ClusterSimulation<MultiPaxosNode>
    ) -> CheckFailure? { nil }

    static func applied(_ id: NodeID, _ entries: [LogEntry], _ checks: inout Checks) -> CheckFailure? {
        checks.chosen.applied(id, entries: entries)
    }

    /// Persist before you promise, seen from outside: a Promise leaves only when the disk
    /// holds a promise at least as high, an Accepted only when it holds each accept.
    static func checkSend(
        _ envelope: Envelope<MultiPaxosMessage>, slot: Int, in sim: ClusterSimulation<MultiPaxosNode>
    ) -> CheckFailure? {
        switch envelope.message {
        case .promise(let promise):
            let durable = MultiPaxosJournal.ballot(of: sim.disks[slot].hardState)
            guard durable >= promise.ballot else {
                return CheckFailure(
                    invariant: "persist-before-promise",
                    detail:
                        "\(envelope.from) promised \(promise.ballot) to \(envelope.to), but its disk holds \(durable)")
            }
        case .accepted(let accepted):
            let durableBallots = sim.checks.durableBallots[slot]
            for acceptedSlot in accepted.slots {
                let position = Int(acceptedSlot.rawValue) - 1
                let durable = position < durableBallots.count ? durableBallots[position] : .zero
                guard durable >= accepted.ballot else {
                    return CheckFailure(
                        invariant: "persist-before-promise",
                        detail:
                            "\(envelope.from) acknowledged slot \(acceptedSlot) in \(accepted.ballot), but its disk holds \(durable)"
                    )
                }
            }
        default:
            break
        }
        return nil
    }

    /// Accepts that became durable: the checker counts them toward choosing a value,
    /// and the promise check learns what this disk may now vouch for.
    static func mirror(
        _ changes: [SimulatedDisk.DiskChange], of id: NodeID, in sim: inout ClusterSimulation<MultiPaxosNode>
    ) -> CheckFailure? {
        let slot = id.rawValue - 1
        for case .appended(let records) in changes {
            for record in records {
                let accepted = MultiPaxosJournal.accepted(from: record)
                let position = Int(accepted.slot.rawValue) - 1
                let count = sim.checks.durableBallots[slot].count
                if count <= position {
                    sim.checks.durableBallots[slot].append(
                        contentsOf: repeatElement(.zero, count: position + 1 - count))
                }
                sim.checks.durableBallots[slot][position] = max(
                    sim.checks.durableBallots[slot][position], accepted.ballot)
                if let failure = sim.checks.chosen.accepted(id, ballot: record.term, entry: accepted.entry) {
                    return failure
                }
            }
        }
        return nil
    }

    static func crashed(_ id: NodeID, _ checks: inout Checks) { checks.chosen.crashed(id) }

    static func diskDamaged(_ id: NodeID, refused: Bool, _ checks: inout Checks) {}

    /// Starts a crashed server from its disk: its promise and accepted values.
    static func restart(
        _ id: NodeID, from recovered: RecoveredState, in sim: inout ClusterSimulation<MultiPaxosNode>
    ) {
        let slot = id.rawValue - 1
        sim.isUp[slot] = true
        sim.checks.journalEnd[slot] = recovered.entries.last?.index ?? .zero
        let durable = MultiPaxosJournal.durableState(hardState: recovered.hardState, records: recovered.entries)
        let node = MultiPaxosNode(
            id: id, members: sim.members, quorums: quorums(sim.options), configuration: configuration(sim.options),
            durable: durable, now: sim.clocks[slot].local(sim.now), random: sim.coreRandom(slot))
        sim.servers[slot] = sim.makeReplica(node, snapshot: nil, slot: slot)
        if sim.trace != nil {
            sim.emit("\(id) restart promised=\(durable.promised) accepted=\(durable.accepted.count)")
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
