import Checker
import KV
import Paxos
import Raft
import Replication
import SynodCore

/// A whole cluster of one consensus protocol in one thread on virtual time: a
/// discrete-event loop ordered by (time, sequence), one seeded generator per concern, an
/// in-memory network and disks, and the protocol's checkers after every event. A run is
/// a function of (options, seed). `Simulation` is its public face; everything here is
/// the same code for every protocol, and what is a protocol's own is behind
/// `SimulatedConsensus`.
struct ClusterSimulation<Core: SimulatedConsensus> {
    typealias Replica = ReplicaCore<Core, KVStore>
    typealias EventKind = Event<Core.Message>.Kind

    let options: SimulationOptions
    let seed: UInt64
    let members: [NodeID]

    /// Virtual time, the same for the whole cluster; each node reads it through its own clock.
    var now: Instant = .zero
    var report: SimulationReport

    var queue = EventQueue<EventKind>()
    /// The servers, nil while crashed: each a `ReplicaCore` around its consensus core,
    /// the same value `synod serve` runs. Per-server bookkeeping lives in parallel arrays
    /// so that reading it never copies a core.
    var servers: [Replica?]
    var isUp: [Bool]
    var incarnations: [Int]
    /// The global instant of each server's wake-up event that counts; others are stale.
    var scheduledWakes: [Instant]
    var disks: [SimulatedDisk]
    /// Servers whose disk recovery refused to start (corruption): down for good.
    var refused: [Bool]
    var clocks: [SimulatedClock]
    var network: SimulatedNetwork
    /// What the protocol's checkers remember of the run.
    var checks: Core.Checks
    let plan: FaultPlan
    var actions = Replica.Actions()

    var networkRandom: SeededGenerator
    var faultRandom: SeededGenerator
    var diskRandom: SeededGenerator
    var clientRandom: SeededGenerator
    /// Decides when the targeted faults strike (see `FaultPlan.leaderCrashRate`).
    var buggify: SeededGenerator
    /// Decides the clock-edge faults of lease-read runs (see `FaultPlan.clockEdgeEvery`).
    var edgeRandom: SeededGenerator
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
    var history: [ClientOperation] = []
    /// Virtual latency of every answered read.
    var readLatencies: [TimeSpan] = []
    /// For local (follower) reads: how many committed entries the server had not yet
    /// applied, and for how long the oldest of them had been committed.
    var staleEntries: [Int] = []
    var staleTimes: [TimeSpan] = []
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
    var samples: [Sample] = []

    init(options: SimulationOptions, seed: UInt64) {
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
        if !Core.takesStorageAndTransferFaults { plan.leaveOutRaftOnlyFaults() }
        // A stream of its own, so that runs without lease reads play out as before.
        edgeRandom = SeededGenerator(seed: seed, stream: 7)
        if options.faults == .swarm, options.workload?.readMode == .lease, edgeRandom.chance(0.5) {
            plan.clockEdgeEvery = edgeRandom.span(.milliseconds(200), .seconds(1))
        }
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
        checks = Core.makeChecks(members: members, options: options)
        for slot in servers.indices {
            let core = Core.start(
                id: members[slot], members: members, options: options, now: clocks[slot].local(.zero),
                random: coreRandom(slot))
            servers[slot] = makeReplica(core, snapshot: nil, slot: slot)
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
        if let every = plan.clockEdgeEvery { schedule(at: .zero + edgeRandom.span(.zero, every * 2), .clockEdge) }
        schedule(at: options.healTime, .heal)
        schedule(at: options.healTime + options.livenessBound, .livenessDeadline)
    }

    /// The live leader of the highest term (or ballot), if any.
    var leader: NodeID? {
        var best: (NodeID, Term)?
        for slot in servers.indices {
            guard let observed = servers[slot]?.consensus.observed, observed.role == .leader else { continue }
            if best == nil || observed.epoch > best!.1 { best = (members[slot], observed.epoch) }
        }
        return best?.0
    }

    /// A live server's core, for tests and reports.
    func server(_ id: NodeID) -> Core? { servers[id.rawValue - 1]?.consensus }

    /// The highest index known committed anywhere.
    var commitIndex: LogIndex { Core.commitIndex(checks) }

    /// Client commands committed so far.
    var committedCommands: Int { Core.committedCommands(checks) }

    /// The random generator of a core at `slot`, new for each incarnation.
    func coreRandom(_ slot: Int) -> SeededGenerator {
        SeededGenerator(seed: seed, stream: UInt64(100 + slot) + UInt64(incarnations[slot]) << 16)
    }

    // MARK: Running

    /// Runs the whole scenario: faults during the first 80% of `duration`, then healed,
    /// then until the liveness check is decided and `duration` has passed.
    mutating func run(trace: ((String) -> Void)? = nil) -> SimulationReport {
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
    mutating func run(until deadline: Instant) {
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

    mutating func run(for span: TimeSpan) { run(until: now + span) }

    mutating func run(_ event: Event<Core.Message>.Scheduled) {
        if let every = sampleInterval, event.time >= nextSample { takeSamples(until: event.time, every: every) }
        now = event.time
        report.events += 1
        handle(event)
    }

    mutating func schedule(at time: Instant, _ kind: EventKind) {
        queue.schedule(at: time, kind)
    }

    mutating func handle(_ event: Event<Core.Message>.Scheduled) {
        switch event.kind {
        case .deliver(let envelope):
            deliver(envelope)
        case .deliverForward(let envelope):
            deliver(envelope)
        case .wake(let slot, let incarnation):
            guard incarnations[slot] == incarnation, scheduledWakes[slot] == event.time else { return }
            scheduledWakes[slot] = .distantFuture
            tickServer(slot)
        case .syncDone(let slot, let incarnation, let through):
            guard incarnations[slot] == incarnation else { return }
            completeSync(slot: slot, through: through)
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
        case .clockEdge:
            injectClockEdge()
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
        case .split(let side, let other):
            partition(side, other)
            schedule(at: now + buggify.span(.milliseconds(100), .milliseconds(800)), .rejoin(side, other))
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
    mutating func step(_ slot: Int, _ input: (inout Replica, Instant, inout Replica.Actions) -> Void) {
        guard isUp[slot] else { return }
        let local = clocks[slot].local(now)
        actions.removeAll()
        let before = Self.observe(&servers[slot]!)
        input(&servers[slot]!, local, &actions)
        carryOut(slot: slot, before: before, after: Self.observe(&servers[slot]!))
    }

    /// What the simulator watches of a core, read in place: copying a core per event
    /// would cost more than the event itself.
    static func observe(_ replica: inout Replica) -> ObservedCore { replica.consensus.observed }

    func isCatchingUp(_ slot: Int) -> Bool { servers[slot]?.consensus.isCatchingUp ?? false }

    mutating func carryOut(slot: Int, before: ObservedCore, after: ObservedCore) {
        let id = members[slot]
        if let reason = actions.fatal { return fail(.safety, "state-machine-safety", "\(id) stopped: \(reason)") }
        guard Core.persist(slot: slot, before: before, after: after, in: &self) else { return }
        if after.role != before.role || after.epoch != before.epoch {
            if after.role == .candidate { report.elections += 1 }
            if after.term > report.maxTerm { report.maxTerm = after.term }
            if after.role == .leader { knownLeader = id }
        }
        if after != before, let failure = Core.transition(slot: slot, before: before, after: after, in: &self) {
            return fail(.safety, failure)
        }
        if trace != nil, after.role != before.role || after.epoch != before.epoch,
            let line = servers[slot]!.consensus.transitionLine(from: before)
        {
            emit("\(id) \(line)")
        }
        let committed = actions.consensus.committed
        if !committed.isEmpty {
            if let failure = Core.applied(id, committed, &checks) { return fail(.safety, failure) }
            if after.role == .leader { requestsCommitted(committed) }
            while commitTimes.count < Int(commitIndex.rawValue) { commitTimes.append(now) }
            if actions.compactionDue { schedule(at: now, .compact(slot: slot, incarnation: incarnations[slot])) }
            if healed && !livenessMet { noteLiveness(committed) }
        }
        // A crash point: the server dies while sending, so only some of its messages leave.
        let messages = actions.consensus.messages
        var crashes =
            plan.crashPointRate > 0 && !messages.isEmpty && disks[slot].hasUnsynced && faultWindowOpen
            && faultRandom.chance(plan.crashPointRate)
        let sent = crashes ? Int(faultRandom.next(upperBound: UInt64(messages.count + 1))) : messages.count
        // The targeted crash of a new leader: its first entries reach `reach` servers.
        var reach: Int?
        var cutOff = false
        if !crashes, after.role == .leader, entriesSentInTerm[slot] != after.epoch,
            messages.contains(where: { Core.carriesEntries($0.message) }),
            let crash = isolateNewLeader(slot: slot, term: after.epoch)
        {
            crashes = true
            reach = crash.reach
            cutOff = crash.cutOffRecipients
        }
        var reached: [NodeID] = []
        for envelope in messages.prefix(sent) {
            if let reach, Core.carriesEntries(envelope.message), !reached.contains(envelope.to) {
                guard reached.count < reach else { continue }
                reached.append(envelope.to)
            }
            if let failure = Core.checkSend(envelope, slot: slot, in: self) { return fail(.safety, failure) }
            send(envelope)
        }
        if cutOff { cutOffServers(reached) }
        if crashes { return crashBriefly(id, keepingUnsynced: reach == nil, backSoon: cutOff) }
        for envelope in actions.forwards { send(envelope) }
        if actions.flushBatch { schedule(at: now, .flushBatch(slot: slot, incarnation: incarnations[slot])) }
        if !actions.replies.isEmpty || !actions.reads.isEmpty { answerClients(slot: slot) }
        let wake = clocks[slot].global(actions.wakeAt)
        if wake < scheduledWakes[slot] || scheduledWakes[slot] < now {
            scheduledWakes[slot] = max(wake, now)
            schedule(at: max(wake, now), .wake(slot: slot, incarnation: incarnations[slot]))
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

    /// A server's log, for the checkers (Raft only keeps one).
    func log(_ slot: Int) -> RaftLog where Core == RaftNode { servers[slot]!.consensus.log }

    /// The targeted fault for a leader about to send the first entries of `term`: it is
    /// cut off with a minority (perhaps alone) for a while, or crashes, so that those
    /// entries reach at most a minority. Returns, when it crashes, how many servers its
    /// entries reach (its other messages leave), and whether those servers are then cut
    /// off from the rest: the others go on without the newest entries, and meet them
    /// again when the links return.
    mutating func isolateNewLeader(slot: Int, term: Term) -> (reach: Int, cutOffRecipients: Bool)? {
        entriesSentInTerm[slot] = term
        guard plan.leaderCrashRate > 0, faultWindowOpen, buggify.chance(plan.leaderCrashRate) else { return nil }
        if buggify.chance(plan.leaderCrashShare) {
            let minority = (members.count - 1) / 2
            if buggify.chance(plan.recipientCutShare) {
                return (1 + Int(buggify.next(upperBound: UInt64(minority))), true)
            }
            return (Int(buggify.next(upperBound: UInt64(minority + 1))), false)
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

    /// Cuts these servers off from every other server for a while.
    mutating func cutOffServers(_ side: [NodeID]) {
        guard !side.isEmpty else { return }
        // Once what was sent has landed: the cut must not drop the entries themselves.
        schedule(at: now + .milliseconds(1), .split(side, members.filter { !side.contains($0) }))
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
        if let failure = Core.mirror(disks[slot].sync(through: through), of: members[slot], in: &self) {
            return fail(.safety, failure)
        }
        step(slot) { node, now, out in node.synced(through: through, at: now, into: &out) }
        if report.violation == nil, disks[slot].busyUntil <= now { startSync(slot: slot) }
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

    // MARK: Network

    mutating func send(_ envelope: Envelope<Core.Message>) {
        let bytes = network.bandwidth.isEmpty ? 0 : Core.wireSize(envelope.message)
        transmit(from: envelope.from, to: envelope.to, bytes: bytes, .deliver(envelope))
    }

    /// One message of either protocol on the simulated network: lost, delivered after a
    /// drawn latency (and its time on a bandwidth-limited link), or delivered twice.
    mutating func transmit(from: NodeID, to: NodeID, bytes: Int = 0, _ delivery: EventKind) {
        report.messages += 1
        guard let (latency, again) = network.arrivals(from: from, to: to, random: &networkRandom) else { return }
        let queued = network.queueing(from: from, to: to, bytes: bytes, at: now)
        schedule(at: now + queued + latency, delivery)
        if let again { schedule(at: now + queued + again, delivery) }
    }

    /// Limits the link from `from` to `to` to `bytesPerSecond` (nil: no limit).
    mutating func limitBandwidth(from: NodeID, to: NodeID, bytesPerSecond: Int?) {
        let key = network.link(from: from, to: to)
        network.bandwidth[key] = bytesPerSecond
        if bytesPerSecond == nil { network.busyUntil[key] = nil }
    }

    mutating func deliver(_ envelope: Envelope<Core.Message>) {
        let slot = envelope.to.rawValue - 1
        guard !network.isDown(from: envelope.from, to: envelope.to), isUp[slot] else { return }
        if trace != nil { emit("\(envelope.to) <- \(envelope.from) \(Core.describe(envelope.message))") }
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
    func stateSummary() -> String {
        members.map { id -> String in
            guard let core = servers[id.rawValue - 1]?.consensus else { return "\(id): down" }
            return "\(id): \(core.summary)"
        }.joined(separator: "; ")
    }
}
