import Checker
import KV
import Paxos
import Raft
import Replication
import SynodCore

/// A whole Raft cluster in one thread on virtual time: a discrete-event loop ordered by
/// (time, sequence), one seeded generator per concern, an in-memory network and disks,
/// and the invariant checker after every event. A run is a function of (options, seed).
///
/// ```swift
/// var sim = Simulation(options: SimulationOptions(faults: .swarm), seed: 42)
/// let report = sim.run()
/// if let violation = report.violation { print(violation) }
/// ```
///
/// Tests can also tell a story with the fault API: `run(until:)`, `partition(_:_:)`,
/// `cut(from:to:)`, `crash(_:)`, `restart(_:)`, `heal()`.
public struct Simulation {
    public let options: SimulationOptions
    public let seed: UInt64
    public let members: [NodeID]

    /// Virtual time, the same for the whole cluster; each node reads it through its own clock.
    public internal(set) var now: Instant = .zero
    public internal(set) var report: SimulationReport

    var queue = EventQueue<Event.Kind>()
    /// The servers, nil while crashed: each a `ReplicaCore` around its consensus core,
    /// the same value `synod serve` runs. Per-server bookkeeping lives in parallel arrays
    /// so that reading it never copies a core.
    var servers: [RaftReplica?]
    var isUp: [Bool]
    var incarnations: [Int]
    /// The global instant of each server's wake-up event that counts; others are stale.
    var scheduledWakes: [Instant]
    var disks: [SimulatedDisk]
    /// Servers whose disk recovery refused to start (corruption): down for good.
    var refused: [Bool]
    var clocks: [SimulatedClock]
    var network: SimulatedNetwork
    var checker: InvariantChecker
    let plan: FaultPlan
    var actions = RaftReplica.Actions()
    // Multi-Paxos servers (empty when the cluster runs Raft), see Simulation+MultiPaxos.
    let isMultiPaxos: Bool
    var paxos: [PaxosReplica?] = []
    var paxosActions = PaxosReplica.Actions()
    var chosenChecker: ChosenValueChecker
    /// Per server and slot, the ballot of the value its disk durably holds accepted.
    var durableBallots: [[Ballot]] = []
    /// Per server, the journal position of the last record written.
    var journalEnd: [LogIndex] = []

    var networkRandom: SeededGenerator
    var faultRandom: SeededGenerator
    var diskRandom: SeededGenerator
    var clientRandom: SeededGenerator
    /// Decides when the targeted faults strike (see `FaultPlan.leaderCrashRate`).
    var buggify: SeededGenerator
    /// Per server, the last term in which it sent entries as leader.
    var entriesSentInTerm: [Term]

    var nextRequestID: UInt64 = 1
    // The key-value workload (empty without one).
    var kvClients: [KVClient] = []
    /// Client requests a server holds, by the token given with each.
    var clientTokens: [UInt64: ClientToken] = [:]
    var nextClientToken: UInt64 = 1
    /// When each index was first committed anywhere (index 1 first).
    var commitTimes: [Instant] = []
    /// Every finished client operation, in the order they finished.
    public internal(set) var history: [ClientOperation] = []
    /// Virtual latency of every answered read.
    public internal(set) var readLatencies: [TimeSpan] = []
    /// For local (follower) reads: how many committed entries the server had not yet
    /// applied, and for how long the oldest of them had been committed.
    public internal(set) var staleEntries: [Int] = []
    public internal(set) var staleTimes: [TimeSpan] = []
    /// Requests not yet seen committed: when they were made and their current attempt.
    var pendingRequests: [UInt64: PendingRequest] = [:]
    var knownLeader: NodeID?
    var healed = false
    /// Requests from this id on were made after the heal; one of them must commit.
    var firstRequestAfterHeal: UInt64 = .max
    var livenessMet = false
    var trace: ((String) -> Void)?
    var sampleInterval: TimeSpan?
    var nextSample: Instant = .zero
    /// The cluster's state at regular instants, when sampling is on (for timelines).
    public internal(set) var samples: [Sample] = []

    public init(options: SimulationOptions, seed: UInt64) {
        precondition(options.nodes >= 1, "a cluster needs at least one node")
        self.options = options
        self.seed = seed
        self.members = (1...options.nodes).map { NodeID($0) }
        self.report = SimulationReport(seed: seed)
        var setup = SeededGenerator(seed: seed, stream: 1)
        networkRandom = SeededGenerator(seed: seed, stream: 2)
        faultRandom = SeededGenerator(seed: seed, stream: 3)
        diskRandom = SeededGenerator(seed: seed, stream: 4)
        clientRandom = SeededGenerator(seed: seed, stream: 5)
        var targeted = SeededGenerator(seed: seed, stream: 6)
        var plan = FaultPlan(profile: options.faults, nodes: options.nodes, random: &setup, targeted: &targeted)
        buggify = targeted
        isMultiPaxos = options.consensus.isMultiPaxos
        if isMultiPaxos { plan.leaveOutRaftOnlyFaults() }
        self.plan = plan
        network = SimulatedNetwork(size: options.nodes, random: &setup)
        network.lossRate = plan.lossRate
        network.duplicateRate = plan.duplicateRate
        network.spikeRate = plan.spikeRate
        clocks = Self.makeClocks(options: options, seed: seed, setup: &setup)
        disks = Array(repeating: SimulatedDisk(), count: options.nodes)
        for slot in plan.lyingDisks { disks[slot].lies = true }
        refused = Array(repeating: false, count: options.nodes)
        servers = Array(repeating: nil, count: options.nodes)
        isUp = Array(repeating: true, count: options.nodes)
        incarnations = Array(repeating: 0, count: options.nodes)
        scheduledWakes = Array(repeating: .distantFuture, count: options.nodes)
        entriesSentInTerm = Array(repeating: .zero, count: options.nodes)
        checker = InvariantChecker(members: members)
        chosenChecker = ChosenValueChecker(
            members: members, phase2: options.consensus.phase2Quorum(nodes: options.nodes))
        if isMultiPaxos {
            startMultiPaxos()
        } else {
            for slot in servers.indices {
                let raft = RaftNode(
                    id: members[slot], members: members, configuration: raftConfiguration,
                    now: clocks[slot].local(.zero), random: SeededGenerator(seed: seed, stream: UInt64(100 + slot)))
                servers[slot] = makeReplica(raft, snapshot: nil, slot: slot)
            }
        }
        for slot in servers.indices { tickServer(slot) }
        if let workload = options.workload {
            kvClients = Array(repeating: KVClient(), count: workload.clients)
            startClients()
        } else if options.proposalsPerSecond > 0 {
            schedule(at: .zero + proposalInterval, .clientTick)
        }
        if let every = plan.networkEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .networkFault) }
        if let every = plan.crashEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .crashFault) }
        if let every = plan.slowDiskEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .diskFault) }
        if let every = plan.powerFailureEvery {
            schedule(at: .zero + faultRandom.span(.zero, every * 2), .powerFailure)
        }
        if let every = plan.bitFlipEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .bitFlip) }
        if let every = plan.transferEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .transferFault) }
        if let every = plan.clockFaultEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .clockFault) }
        schedule(at: options.healTime, .heal)
        schedule(at: options.healTime + options.livenessBound, .livenessDeadline)
    }

    /// The current leader, if exactly one live server believes it leads in the highest term.
    public var leader: NodeID? {
        if isMultiPaxos { return multiPaxosLeader }
        var best: (NodeID, Term)?
        for case let replica? in servers where replica.consensus.role == .leader {
            let raft = replica.consensus
            if best == nil || raft.term > best!.1 { best = (raft.id, raft.term) }
        }
        return best?.0
    }

    /// A live server's core, for tests and reports.
    public func server(_ id: NodeID) -> RaftNode? { servers[id.rawValue - 1]?.consensus }

    /// The highest index known committed anywhere.
    public var commitIndex: LogIndex { isMultiPaxos ? chosenChecker.commitIndex : checker.commitIndex }

    /// Client commands committed so far.
    var committedCommands: Int { isMultiPaxos ? chosenChecker.committedCommands : checker.committedCommands }

    // MARK: Running

    /// Runs the whole scenario: faults during the first 80% of `duration`, then healed,
    /// then until the liveness check is decided and `duration` has passed.
    public mutating func run(trace: ((String) -> Void)? = nil) -> SimulationReport {
        self.trace = trace
        let end = Instant.zero + options.duration
        while report.violation == nil, let next = queue.next() {
            if next.time > end && (livenessMet || next.time > options.healTime + options.livenessBound) {
                queue.putBack(next)
                break
            }
            run(next)
        }
        self.trace = nil
        report.endTime = now
        report.commits = committedCommands
        if options.workload != nil { finishKVRun() }
        return report
    }

    /// Runs events up to and including `deadline` (or the first violation).
    public mutating func run(until deadline: Instant) {
        while report.violation == nil, let next = queue.next() {
            if next.time > deadline {
                queue.putBack(next)
                break
            }
            run(next)
        }
        if report.violation == nil, now < deadline { now = deadline }
        report.commits = committedCommands
    }

    public mutating func run(for span: TimeSpan) { run(until: now + span) }

    mutating func run(_ event: Event.Scheduled) {
        if let every = sampleInterval, event.time >= nextSample { takeSamples(until: event.time, every: every) }
        now = event.time
        report.events += 1
        handle(event)
    }

    mutating func schedule(at time: Instant, _ kind: Event.Kind) {
        queue.schedule(at: time, kind)
    }

    mutating func handle(_ event: Event.Scheduled) {
        switch event.kind {
        case .deliver(let envelope):
            deliver(envelope)
        case .deliverPaxos(let envelope):
            deliver(envelope)
        case .deliverForward(let envelope):
            deliver(envelope)
        case .wake(let slot, let incarnation):
            guard incarnations[slot] == incarnation, scheduledWakes[slot] == event.time else { return }
            scheduledWakes[slot] = .distantFuture
            tickServer(slot)
        case .syncDone(let slot, let incarnation, let through):
            guard incarnations[slot] == incarnation else { return }
            if isMultiPaxos {
                completeMultiPaxosSync(slot: slot, through: through)
            } else {
                completeSync(slot: slot, through: through)
            }
        case .clientTick:
            clientTick()
        case .clientRequest(let id, let target, let attempt):
            clientRequest(id: id, target: target, attempt: attempt)
        case .clientTimeout(let id, let attempt):
            clientTimeout(id: id, attempt: attempt)
        case .networkFault:
            injectNetworkFault()
        case .crashFault:
            injectCrash()
        case .diskFault:
            injectDiskFault()
        case .transferFault:
            injectTransfer()
        case .bitFlip:
            injectBitFlip()
        case .powerFailure:
            injectPowerFailure()
        case .clockFault:
            injectClockFault()
        case .compact(let slot, let incarnation):
            if incarnations[slot] == incarnation { compact(slot: slot) }
        case .flushBatch(let slot, let incarnation):
            if incarnations[slot] == incarnation { flushBatch(slot: slot) }
        case .kvNext(let client):
            kvNext(client: client)
        case .kvAttempt(let client, let operation):
            kvAttempt(client: client, operation: operation)
        case .kvAttemptTimeout(let client, let operation, let attempt):
            kvAttemptTimeout(client: client, operation: operation, attempt: attempt)
        case .kvGiveUp(let client, let operation):
            kvGiveUp(client: client, operation: operation)
        case .restart(let slot):
            restart(members[slot])
        case .rejoin(let side, let other):
            for a in side { for b in other { reconnect(a, b) } }
        case .heal:
            healed = true
            firstRequestAfterHeal = nextRequestID
            heal()
            schedule(at: now, .livenessProbe)
        case .livenessProbe:
            // The check must not depend on the workload: propose until one commits.
            if !livenessMet {
                submitRequest()
                schedule(at: now + .milliseconds(20), .livenessProbe)
            }
        case .livenessDeadline:
            if !livenessMet {
                fail(
                    .liveness, "liveness",
                    "no proposal made after the heal at t=\(options.healTime) committed within \(options.livenessBound); \(stateSummary())"
                )
            }
        }
    }

    // MARK: Driving one server

    /// Feeds one input to a live server and carries out everything it asked for.
    mutating func step(_ slot: Int, _ input: (inout RaftReplica, Instant, inout RaftReplica.Actions) -> Void) {
        guard isUp[slot] else { return }
        let local = clocks[slot].local(now)
        actions.removeAll()
        let before = Self.observe(&servers[slot]!)
        input(&servers[slot]!, local, &actions)
        carryOut(slot: slot, before: before, after: Self.observe(&servers[slot]!))
    }

    /// What the simulator watches of a core, read in place: copying a core per event
    /// would cost more than the event itself.
    struct Observed {
        var role: RaftRole
        var term: Term
        var commit: LogIndex
    }

    static func observe(_ replica: inout RaftReplica) -> Observed {
        Observed(role: replica.consensus.role, term: replica.consensus.term, commit: replica.consensus.commitIndex)
    }

    static func log(of replica: inout RaftReplica) -> RaftLog { replica.consensus.log }

    static func catchingUp(_ replica: inout RaftReplica) -> Bool { replica.consensus.catchUp != nil }

    mutating func carryOut(slot: Int, before: Observed, after: Observed) {
        let id = members[slot]
        let output = actions.consensus
        if let restored = output.restored {
            if let failure = checker.installed(id, restored) { return fail(.safety, failure) }
        }
        if let reason = actions.fatal { return fail(.safety, "state-machine-safety", "\(id) stopped: \(reason)") }
        for write in output.writes {
            if let failure = checker.logChanged(id, truncateFrom: write.truncateFrom, entries: write.entries) {
                return fail(.safety, failure)
            }
            disks[slot].currentWrite = write.id
            // The simulated disk never refuses an operation; faults strike at crashes.
            try? disks[slot].perform(
                hardState: write.hardState, commitHint: after.commit, truncateFrom: write.truncateFrom,
                snapshot: write.snapshot, entries: write.entries)
            if disks[slot].busyUntil <= now { startSync(slot: slot) }
        }
        if !checker.mayVote(id), Self.catchingUp(&servers[slot]!) == false {
            checker.setVoting(id, true)
            disks[slot].catchUpMarker = nil
            if trace != nil { emit("\(id) caught up: votes again") }
        }
        if after.role != before.role || after.term != before.term {
            if after.role == .candidate { report.elections += 1 }
            if after.term > report.maxTerm { report.maxTerm = after.term }
            if after.role == .leader {
                knownLeader = id
                if let failure = checker.becameLeader(id, term: after.term) { return fail(.safety, failure) }
            }
            if trace != nil {
                let log = Self.log(of: &servers[slot]!)
                emit("\(id) \(after.role) term=\(after.term) log=\(log.lastIndex)@\(log.lastTerm)")
            }
        }
        if after.commit != before.commit {
            let log = Self.log(of: &servers[slot]!)
            if let failure = checker.commitAdvanced(
                id, term: after.term, to: after.commit, log: { log.entry(at: $0) })
            {
                return fail(.safety, failure)
            }
        }
        if !output.committed.isEmpty {
            if let failure = checker.applied(id, entries: output.committed) { return fail(.safety, failure) }
            if after.role == .leader { requestsCommitted(output.committed) }
            while commitTimes.count < Int(checker.commitIndex.rawValue) { commitTimes.append(now) }
            if actions.compactionDue { schedule(at: now, .compact(slot: slot, incarnation: incarnations[slot])) }
            if healed && !livenessMet {
                for entry in output.committed where entry.kind == .command {
                    if Self.requestID(entry.data) >= firstRequestAfterHeal {
                        livenessMet = true
                        report.recoveryTime = now - options.healTime
                    }
                }
            }
        }
        // A crash point: the server dies while sending, so only some of its messages leave.
        var crashes =
            plan.crashPointRate > 0 && !output.messages.isEmpty && disks[slot].hasUnsynced && faultWindowOpen
            && faultRandom.chance(plan.crashPointRate)
        var sent =
            crashes ? Int(faultRandom.next(upperBound: UInt64(output.messages.count + 1))) : output.messages.count
        if !crashes, after.role == .leader, entriesSentInTerm[slot] != after.term, Self.carriesEntries(output),
            let reach = isolateNewLeader(slot: slot, term: after.term)
        {
            crashes = true
            sent = min(sent, reach)
        }
        for envelope in output.messages.prefix(sent) {
            if let failure = PromiseCheck.check(
                envelope, durableHardState: disks[slot].hardState,
                durableLogLength: Int(disks[slot].lastIndex.rawValue))
            {
                return fail(.safety, failure)
            }
            send(envelope)
        }
        if crashes { return crashBriefly(id) }
        for envelope in actions.forwards { send(envelope) }
        if actions.flushBatch { schedule(at: now, .flushBatch(slot: slot, incarnation: incarnations[slot])) }
        if !actions.replies.isEmpty || !actions.reads.isEmpty { answerClients(slot: slot) }
        let wake = clocks[slot].global(actions.wakeAt)
        if wake < scheduledWakes[slot] || scheduledWakes[slot] < now {
            scheduledWakes[slot] = max(wake, now)
            schedule(at: max(wake, now), .wake(slot: slot, incarnation: incarnations[slot]))
        }
    }

    /// Whether a leader's output sends new entries to a follower.
    static func carriesEntries(_ output: RaftOutput) -> Bool {
        output.messages.contains { envelope in
            if case .appendEntries(let request) = envelope.message { !request.entries.isEmpty } else { false }
        }
    }

    /// The targeted fault for a leader about to send the first entries of `term`: it is
    /// cut off with a minority (perhaps alone) for a while, or crashes, so that those
    /// entries reach at most a minority. Returns, when it crashes, how many of its
    /// messages of this step leave first.
    mutating func isolateNewLeader(slot: Int, term: Term) -> Int? {
        entriesSentInTerm[slot] = term
        guard plan.leaderCrashRate > 0, faultWindowOpen, buggify.chance(plan.leaderCrashRate) else { return nil }
        if buggify.chance(plan.leaderCrashShare) {
            return Int(buggify.next(upperBound: UInt64((members.count - 1) / 2 + 1)))
        }
        var others = members.filter { $0 != members[slot] }
        others.shuffle(using: &buggify)
        let reach = Int(buggify.next(upperBound: UInt64((members.count - 1) / 2)))
        let side = [members[slot]] + others.prefix(reach)
        let rest = Array(others.dropFirst(reach))
        partition(side, rest)
        schedule(at: now + buggify.span(.milliseconds(100), .milliseconds(800)), .rejoin(side, rest))
        return nil
    }

    /// The targeted slow sync: a candidate's own promise (or vote) takes milliseconds to
    /// reach its disk, so that it may win and act on its peers' answers first.
    mutating func delayPromiseSync(slot: Int) {
        guard plan.leaderCrashRate > 0, faultWindowOpen, buggify.chance(plan.leaderCrashRate) else { return }
        disks[slot].slowNextSync = true
    }

    // MARK: Disk

    /// Starts one sync covering every write issued so far (group commit).
    mutating func startSync(slot: Int) {
        guard let last = disks[slot].lastUnsynced else { return }
        let latency =
            disks[slot].isSlow || disks[slot].slowNextSync
            ? diskRandom.span(.milliseconds(2), .milliseconds(30))
            : diskRandom.span(.microseconds(50), .microseconds(400))
        disks[slot].slowNextSync = false
        disks[slot].busyUntil = now + latency
        schedule(at: now + latency, .syncDone(slot: slot, incarnation: incarnations[slot], through: last))
    }

    mutating func completeSync(slot: Int, through: PersistID) {
        let id = members[slot]
        if let failure = mirror(disks[slot].sync(through: through), of: id) { return fail(.safety, failure) }
        step(slot) { node, now, out in node.synced(through: through, at: now, into: &out) }
        if report.violation == nil, disks[slot].busyUntil <= now { startSync(slot: slot) }
    }

    /// Tells the checker how a disk's durable log changed.
    mutating func mirror(_ changes: [SimulatedDisk.DiskChange], of id: NodeID) -> CheckFailure? {
        if isMultiPaxos { return mirrorJournal(changes, of: id) }
        for change in changes {
            let failure: CheckFailure?
            switch change {
            case .none: failure = nil
            case .truncated(let from): failure = checker.diskChanged(id, truncateFrom: from, entries: [])
            case .appended(let entries): failure = checker.diskChanged(id, truncateFrom: nil, entries: entries)
            case .snapshot(let image, let discarded): failure = checker.diskSnapshot(id, image, discardedLog: discarded)
            }
            if let failure { return failure }
        }
        return nil
    }

    /// Log compaction on `slot`, asked for by its replica: the state machine's image at
    /// the applied index.
    mutating func compact(slot: Int) {
        guard isUp[slot] else { return }
        if trace != nil, let index = Self.compactable(&servers[slot]!) {
            emit("\(members[slot]) compacts its log through \(index)")
        }
        step(slot) { replica, now, out in replica.compact(at: now, into: &out) }
    }

    /// The index a compaction would reach, when past the last one.
    static func compactable<C: ConsensusCore>(_ replica: inout ReplicaCore<C, KVStore>) -> LogIndex? {
        replica.state.appliedIndex > replica.compactedThrough ? replica.state.appliedIndex : nil
    }

    /// The servers' configuration: the options' own, with the simulator's snapshot chunk.
    var raftConfiguration: RaftConfiguration {
        var configuration = options.raft
        if let chunk = options.snapshotChunkSize { configuration.snapshotChunkSize = chunk }
        return configuration
    }

    // MARK: Network

    mutating func send(_ envelope: Envelope<RaftMessage>) {
        transmit(from: envelope.from, to: envelope.to, .deliver(envelope))
    }

    /// One message of either protocol on the simulated network: lost, delivered after a
    /// drawn latency, or delivered twice.
    mutating func transmit(from: NodeID, to: NodeID, _ delivery: Event.Kind) {
        report.messages += 1
        if network.isDown(from: from, to: to) || networkRandom.chance(network.lossRate) { return }
        schedule(at: now + network.latency(from: from, to: to, random: &networkRandom), delivery)
        if networkRandom.chance(network.duplicateRate) {
            schedule(at: now + network.latency(from: from, to: to, random: &networkRandom), delivery)
        }
    }

    mutating func deliver(_ envelope: Envelope<RaftMessage>) {
        let slot = envelope.to.rawValue - 1
        guard !network.isDown(from: envelope.from, to: envelope.to), isUp[slot] else { return }
        if trace != nil { emit("\(envelope.to) <- \(envelope.from) \(Self.describe(envelope.message))") }
        step(slot) { node, now, out in node.receive(envelope, at: now, into: &out) }
    }

    // MARK: Reporting

    mutating func fail(_ kind: Violation.Kind, _ failure: CheckFailure) {
        fail(kind, failure.invariant, "\(failure.detail); \(stateSummary())")
    }

    mutating func fail(_ kind: Violation.Kind, _ invariant: String, _ detail: String) {
        guard report.violation == nil else { return }
        report.violation = Violation(kind: kind, invariant: invariant, event: report.events, time: now, detail: detail)
        if trace != nil { emit("VIOLATION \(kind) \(invariant): \(detail)") }
    }

    func emit(_ line: String) {
        trace?("t=\(now) #\(report.events) \(line)")
    }

    /// One line per server: role, term, log end, commit index; or "down".
    public func stateSummary() -> String {
        if isMultiPaxos { return multiPaxosSummary() }
        return members.map { id -> String in
            guard let raft = servers[id.rawValue - 1]?.consensus else { return "\(id): down" }
            return
                "\(id): \(raft.role) term=\(raft.term) last=\(raft.log.lastIndex)@\(raft.log.lastTerm) commit=\(raft.commitIndex)"
        }.joined(separator: "; ")
    }
}
