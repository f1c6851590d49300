import Checker
import KV
import Paxos
import Raft
import Replication
import Storage
import SynodCore

/// Driving Multi-Paxos servers: the same loop, network, disks, clocks, faults, clients
/// and key-value state machines as for Raft; only the core, its writes and its checks
/// differ. Acceptor state lands on the simulated disk through `MultiPaxosJournal`, so a
/// crash loses unsynced promises and accepts exactly as it loses Raft's unsynced writes.
extension Simulation {
    /// The servers' configuration: leader stickiness comes with CheckQuorum.
    var multiPaxosConfiguration: MultiPaxosConfiguration {
        var configuration = options.multiPaxos
        configuration.stickyLeader = options.raft.checkQuorum
        return configuration
    }

    var paxosQuorums: PaxosQuorums {
        if case .multiPaxos(let quorums) = options.consensus { return quorums }
        return PaxosQuorums(nodes: options.nodes)
    }

    mutating func startMultiPaxos() {
        durableBallots = Array(repeating: [], count: options.nodes)
        journalEnd = Array(repeating: .zero, count: options.nodes)
        paxos = members.indices.map { slot in
            let node = MultiPaxosNode(
                id: members[slot], members: members, quorums: paxosQuorums, configuration: multiPaxosConfiguration,
                now: clocks[slot].local(.zero), random: SeededGenerator(seed: seed, stream: UInt64(100 + slot)))
            return makeReplica(node, snapshot: nil, slot: slot)
        }
    }

    /// A live Multi-Paxos server's core, for tests and reports.
    public func multiPaxosServer(_ id: NodeID) -> MultiPaxosNode? {
        isMultiPaxos ? paxos[id.rawValue - 1]?.consensus : nil
    }

    /// Feeds one input to a live Multi-Paxos server and carries out what it asked for.
    mutating func stepMultiPaxos(
        _ slot: Int, _ input: (inout PaxosReplica, Instant, inout PaxosReplica.Actions) -> Void
    ) {
        guard isUp[slot] else { return }
        let local = clocks[slot].local(now)
        paxosActions.removeAll()
        let before = Self.observe(&paxos[slot]!)
        input(&paxos[slot]!, local, &paxosActions)
        carryOutMultiPaxos(slot: slot, before: before, after: Self.observe(&paxos[slot]!))
    }

    struct ObservedPaxos {
        var role: MultiPaxosRole
        var ballot: Ballot
    }

    static func observe(_ replica: inout PaxosReplica) -> ObservedPaxos {
        let role = replica.consensus.role
        return ObservedPaxos(
            role: role, ballot: role == .follower ? replica.consensus.promised : replica.consensus.ballot)
    }

    mutating func carryOutMultiPaxos(slot: Int, before: ObservedPaxos, after: ObservedPaxos) {
        let id = members[slot]
        let paxosOutput = paxosActions.consensus
        if after.role == .candidate, before.role != .candidate || after.ballot != before.ballot {
            delayPromiseSync(slot: slot)
        }
        if let reason = paxosActions.fatal { return fail(.safety, "state-machine-safety", "\(id) stopped: \(reason)") }
        for write in paxosOutput.writes { persist(write, on: slot) }
        if after.role != before.role || after.ballot != before.ballot {
            if after.role == .candidate { report.elections += 1 }
            let round = Term(after.ballot.round)
            if round > report.maxTerm { report.maxTerm = round }
            if after.role == .leader { knownLeader = id }
            if trace != nil, after.role != .follower || before.role != .follower {
                emit("\(id) \(after.role) ballot=\(after.ballot) commit=\(paxos[slot]!.consensus.commitIndex)")
            }
        }
        let committed = paxosOutput.committed
        if !committed.isEmpty {
            if let failure = chosenChecker.applied(id, entries: committed) { return fail(.safety, failure) }
            if after.role == .leader { requestsCommitted(committed) }
            while commitTimes.count < Int(chosenChecker.commitIndex.rawValue) { commitTimes.append(now) }
            if healed && !livenessMet { noteLiveness(committed) }
        }
        // A crash point, as for Raft: the server dies while sending.
        var crashes =
            plan.crashPointRate > 0 && !paxosOutput.messages.isEmpty && disks[slot].hasUnsynced && faultWindowOpen
            && faultRandom.chance(plan.crashPointRate)
        let count = paxosOutput.messages.count
        var sent = crashes ? Int(faultRandom.next(upperBound: UInt64(count + 1))) : count
        let generation = after.ballot.generation
        if !crashes, after.role == .leader, entriesSentInTerm[slot] != generation, Self.carriesEntries(paxosOutput),
            let reach = isolateNewLeader(slot: slot, term: generation)
        {
            crashes = true
            sent = min(sent, reach)
        }
        for envelope in paxosOutput.messages.prefix(sent) {
            if let failure = checkPromise(envelope, slot: slot) { return fail(.safety, failure) }
            send(envelope)
        }
        if crashes { return crashBriefly(id) }
        for envelope in paxosActions.forwards { send(envelope) }
        if paxosActions.flushBatch { schedule(at: now, .flushBatch(slot: slot, incarnation: incarnations[slot])) }
        if !paxosActions.replies.isEmpty || !paxosActions.reads.isEmpty { answerClients(slot: slot) }
        let wake = clocks[slot].global(paxosActions.wakeAt)
        if wake < scheduledWakes[slot] || scheduledWakes[slot] < now {
            scheduledWakes[slot] = max(wake, now)
            schedule(at: max(wake, now), .wake(slot: slot, incarnation: incarnations[slot]))
        }
    }

    /// Whether a leader's output sends values for new slots to an acceptor.
    static func carriesEntries(_ output: MultiPaxosOutput) -> Bool {
        output.messages.contains { envelope in
            if case .accept(let accept) = envelope.message { !accept.entries.isEmpty } else { false }
        }
    }

    /// A proposal made after the heal committed: the liveness check is met.
    mutating func noteLiveness(_ committed: [LogEntry]) {
        for entry in committed where entry.kind == .command {
            if Self.requestID(entry.data) >= firstRequestAfterHeal {
                livenessMet = true
                report.recoveryTime = now - options.healTime
            }
        }
    }

    /// Puts a write on the disk: the promise as hard state, each accept as a record.
    mutating func persist(_ write: MultiPaxosWrite, on slot: Int) {
        var records: [LogEntry] = []
        records.reserveCapacity(write.accepts.count)
        for accepted in write.accepts {
            journalEnd[slot] = journalEnd[slot].advanced(by: 1)
            records.append(MultiPaxosJournal.record(accepted, at: journalEnd[slot]))
        }
        disks[slot].currentWrite = write.id
        try? disks[slot].perform(
            hardState: write.promised.map(MultiPaxosJournal.hardState(for:)), commitHint: .zero, truncateFrom: nil,
            snapshot: nil, entries: records)
        if disks[slot].busyUntil <= now { startSync(slot: slot) }
    }

    mutating func completeMultiPaxosSync(slot: Int, through: PersistID) {
        if let failure = mirror(disks[slot].sync(through: through), of: members[slot]) {
            return fail(.safety, failure)
        }
        stepMultiPaxos(slot) { node, now, out in node.synced(through: through, at: now, into: &out) }
        if report.violation == nil, disks[slot].busyUntil <= now { startSync(slot: slot) }
    }

    /// Accepts that became durable: the checker counts them toward choosing a value,
    /// and the promise check learns what this disk may now vouch for.
    mutating func mirrorJournal(_ changes: [SimulatedDisk.DiskChange], of id: NodeID) -> CheckFailure? {
        let slot = id.rawValue - 1
        for case .appended(let records) in changes {
            for record in records {
                let accepted = MultiPaxosJournal.accepted(from: record)
                let position = Int(accepted.slot.rawValue) - 1
                if durableBallots[slot].count <= position {
                    durableBallots[slot].append(
                        contentsOf: repeatElement(.zero, count: position + 1 - durableBallots[slot].count))
                }
                durableBallots[slot][position] = max(durableBallots[slot][position], accepted.ballot)
                if let failure = chosenChecker.accepted(id, ballot: record.term, entry: accepted.entry) {
                    return failure
                }
            }
        }
        return nil
    }

    /// Persist before you promise, seen from outside: a Promise leaves only when the disk
    /// holds a promise at least as high, an Accepted only when it holds each accept.
    func checkPromise(_ envelope: Envelope<MultiPaxosMessage>, slot: Int) -> CheckFailure? {
        switch envelope.message {
        case .promise(let promise):
            let durable = MultiPaxosJournal.ballot(of: disks[slot].hardState)
            guard durable >= promise.ballot else {
                return CheckFailure(
                    invariant: "persist-before-promise",
                    detail:
                        "\(envelope.from) promised \(promise.ballot) to \(envelope.to), but its disk holds \(durable)")
            }
        case .accepted(let accepted):
            for acceptedSlot in accepted.slots {
                let position = Int(acceptedSlot.rawValue) - 1
                let durable = position < durableBallots[slot].count ? durableBallots[slot][position] : .zero
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

    /// Starts a crashed Multi-Paxos server from its disk: its promise and accepted values.
    mutating func restartMultiPaxos(_ id: NodeID, from recovered: RecoveredState) {
        let slot = id.rawValue - 1
        isUp[slot] = true
        journalEnd[slot] = recovered.entries.last?.index ?? .zero
        let durable = MultiPaxosJournal.durableState(hardState: recovered.hardState, records: recovered.entries)
        let node = MultiPaxosNode(
            id: id, members: members, quorums: paxosQuorums, configuration: multiPaxosConfiguration, durable: durable,
            now: clocks[slot].local(now),
            random: SeededGenerator(seed: seed, stream: UInt64(100 + slot) + UInt64(incarnations[slot]) << 16))
        paxos[slot] = makeReplica(node, snapshot: nil, slot: slot)
        if trace != nil { emit("\(id) restart promised=\(durable.promised) accepted=\(durable.accepted.count)") }
        tickServer(slot)
    }
}
