import Paxos
import SynodCore

/// Many single-decree Paxos instances on one simulated cluster, in one thread on
/// virtual time: the same network model, fault plan and seeded streams as the Raft
/// simulator, disks that lose unsynced acceptor state on a crash, and the checker after
/// every message sent. A run is a function of (options, seed).
///
/// ```swift
/// var sim = SingleDecreeSimulation(options: SingleDecreeOptions(faults: .swarm), seed: 42)
/// let report = sim.run()
/// if let violation = report.violation { print(violation) }
/// ```
public struct SingleDecreeSimulation {
    public let options: SingleDecreeOptions
    public let seed: UInt64
    public let members: [NodeID]
    public internal(set) var now: Instant = .zero
    public internal(set) var report: SingleDecreeReport

    var queue = EventQueue<SingleDecreeEvent>()
    /// The nodes' cores, nil while crashed.
    var nodes: [SingleDecree.Node?]
    var incarnations: [Int]
    var scheduledWakes: [Instant]
    var disks: [SingleDecreeDisk]
    var network: SimulatedNetwork
    var checker: SingleDecreeChecker
    let plan: FaultPlan
    var output = SingleDecree.Output()
    /// The proposals each node was asked to make, and whether its learner answered them:
    /// a node restarted before answering is asked again, as a client would retry.
    var assigned: [[(instance: SingleDecree.InstanceID, value: SingleDecree.Value, answered: Bool)]]
    /// When each instance got its first proposal.
    var firstProposal: [SingleDecree.InstanceID: Instant] = [:]
    var networkRandom: SeededGenerator
    var faultRandom: SeededGenerator
    var diskRandom: SeededGenerator
    var trace: ((String) -> Void)?
    /// The first crash that lost a reply already sent. It is reported at the end of the
    /// run unless its consequence (two values chosen) is found first, which says more.
    var forgottenReply: Violation?

    public init(options: SingleDecreeOptions, seed: UInt64) {
        precondition(options.quorums.nodes == options.nodes, "quorum sizes are for another cluster size")
        self.options = options
        self.seed = seed
        self.members = (1...options.nodes).map { NodeID($0) }
        self.report = SingleDecreeReport(seed: seed)
        var setup = SeededGenerator(seed: seed, stream: 1)
        networkRandom = SeededGenerator(seed: seed, stream: 2)
        faultRandom = SeededGenerator(seed: seed, stream: 3)
        diskRandom = SeededGenerator(seed: seed, stream: 4)
        var proposalRandom = SeededGenerator(seed: seed, stream: 5)
        plan = FaultPlan(profile: options.faults, nodes: options.nodes, random: &setup)
        network = SimulatedNetwork(size: options.nodes, random: &setup)
        if let uniform = options.uniformLatency {
            for link in network.baseLatency.indices { network.baseLatency[link] = uniform }
        }
        network.jitter = options.jitter
        network.lossRate = plan.lossRate
        network.duplicateRate = plan.duplicateRate
        network.spikeRate = plan.spikeRate
        checker = SingleDecreeChecker(quorums: options.quorums)
        disks = Array(repeating: SingleDecreeDisk(), count: options.nodes)
        incarnations = Array(repeating: 0, count: options.nodes)
        scheduledWakes = Array(repeating: .distantFuture, count: options.nodes)
        assigned = Array(repeating: [], count: options.nodes)
        nodes = []
        nodes = (0..<options.nodes).map { makeNode(slot: $0, durable: SingleDecree.DurableState()) }

        for proposal in options.script ?? plannedProposals(&proposalRandom) {
            schedule(
                at: proposal.at, .propose(slot: proposal.node.rawValue - 1, proposal.instance, proposal.value))
        }
        if let every = plan.networkEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .networkFault) }
        if let every = plan.crashEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .crashFault) }
        if let every = plan.slowDiskEvery { schedule(at: .zero + faultRandom.span(.zero, every * 2), .diskFault) }
        schedule(at: options.healTime, .heal)
        if options.checkLiveness { schedule(at: options.healTime + options.livenessBound, .livenessDeadline) }
    }

    /// Each instance starts at a random instant before the heal, with its proposers on
    /// distinct nodes a little apart; proposer j of instance i proposes value 100·i + j.
    func plannedProposals(_ random: inout SeededGenerator) -> [ScriptedProposal] {
        var proposals: [ScriptedProposal] = []
        let window = UInt64(max(options.healTime.nanoseconds - options.proposerSpread.nanoseconds, 1))
        for index in 1...UInt64(options.instances) {
            let start = Instant(nanoseconds: Int64(random.next(upperBound: window)))
            var slots = Array(0..<options.nodes)
            slots.shuffle(using: &random)
            for (j, slot) in slots.prefix(options.proposersPerInstance).enumerated() {
                proposals.append(
                    ScriptedProposal(
                        instance: SingleDecree.InstanceID(index), node: members[slot],
                        value: SingleDecree.Value(index * 100 + UInt64(j)),
                        at: start + random.span(.zero, options.proposerSpread)))
            }
        }
        return proposals
    }

    func makeNode(slot: Int, durable: SingleDecree.DurableState) -> SingleDecree.Node {
        SingleDecree.Node(
            id: members[slot], members: members, configuration: options.configuration, durable: durable,
            random: SeededGenerator(seed: seed, stream: UInt64(100 + slot) + UInt64(incarnations[slot]) << 16))
    }

    /// The node's core while it is up, for tests and reports.
    public func node(_ id: NodeID) -> SingleDecree.Node? { nodes[id.rawValue - 1] }

    /// The value chosen in `instance` so far, by the checker's account.
    public func chosen(_ instance: SingleDecree.InstanceID) -> SingleDecree.Proposal? {
        checker.chosen[instance]?.proposal
    }

    // MARK: Running

    /// Runs until the end of the run (and the liveness deadline), the first violation,
    /// or until nothing is left to happen.
    public mutating func run(trace: ((String) -> Void)? = nil) -> SingleDecreeReport {
        self.trace = trace
        let end = max(Instant.zero + options.duration, options.healTime + options.livenessBound)
        run(until: end)
        if report.violation == nil, let forgottenReply {
            report.violation = forgottenReply
            if trace != nil { emit("VIOLATION \(forgottenReply.invariant) (found at event \(forgottenReply.event))") }
        }
        self.trace = nil
        return report
    }

    /// Runs events up to and including `deadline` (or the first violation).
    public mutating func run(until deadline: Instant) {
        while report.violation == nil, let next = queue.next() {
            if next.time > deadline {
                queue.putBack(next)
                break
            }
            now = next.time
            report.events += 1
            handle(next.kind)
        }
        report.endTime = now
        report.instances = Set(assigned.flatMap { $0.map(\.instance) }).count
        report.chosen = checker.chosen.count
        report.timesToChoose = checker.chosen.keys.sorted().compactMap { instance in
            firstProposal[instance].map { checker.chosen[instance]!.at - $0 }
        }
    }

    mutating func handle(_ kind: SingleDecreeEvent) {
        switch kind {
        case .deliver(let envelope):
            let slot = envelope.to.rawValue - 1
            guard nodes[slot] != nil else { return }
            if trace != nil { emit("\(envelope.from) -> \(envelope.to) \(envelope.message)") }
            step(slot) { node, now, out in node.receive(envelope, at: now, into: &out) }
        case .wake(let slot, let incarnation):
            guard incarnation == incarnations[slot], nodes[slot] != nil, scheduledWakes[slot] == now else { return }
            scheduledWakes[slot] = .distantFuture
            step(slot) { node, now, out in node.tick(at: now, into: &out) }
        case .syncDone(let slot, let incarnation, let through):
            guard incarnation == incarnations[slot], nodes[slot] != nil else { return }
            disks[slot].synced(through: through)
            step(slot) { node, now, out in node.synced(through: through, at: now, into: &out) }
        case .propose(let slot, let instance, let value):
            assigned[slot].append((instance, value, false))
            checker.proposed(value, in: instance)
            if firstProposal[instance] == nil { firstProposal[instance] = now }
            guard nodes[slot] != nil else { return }
            if trace != nil { emit("\(members[slot]) propose \(value) in \(instance)") }
            step(slot) { node, now, out in node.propose(value, for: instance, at: now, into: &out) }
        case .restart(let slot): restart(members[slot])
        case .networkFault: injectNetworkFault()
        case .crashFault: injectCrash()
        case .diskFault: injectDiskFault()
        case .heal: heal()
        case .livenessDeadline: checkLiveness()
        }
    }

    /// Runs one input on a live node and carries out its output.
    mutating func step(
        _ slot: Int, _ input: (inout SingleDecree.Node, Instant, inout SingleDecree.Output) -> Void
    ) {
        output.removeAll()
        input(&nodes[slot]!, now, &output)
        report.ballots += output.ballotsStarted
        for write in output.writes {
            let done = disks[slot].issue(write, at: now, latency: syncLatency(slot))
            schedule(at: done, .syncDone(slot: slot, incarnation: incarnations[slot], through: write.id))
        }
        for envelope in output.messages {
            if let (invariant, detail) = checker.sent(envelope, at: now) {
                fail(.safety, invariant, detail)
                return
            }
            send(envelope)
        }
        for learned in output.learned {
            if let (invariant, detail) = checker.learned(learned.proposal, in: learned.instance, by: members[slot]) {
                fail(.safety, invariant, detail)
                return
            }
            if trace != nil { emit("\(members[slot]) learned \(learned.proposal) in \(learned.instance)") }
            if let index = assigned[slot].firstIndex(where: { $0.instance == learned.instance }) {
                assigned[slot][index].answered = true
            }
        }
        let wake = max(output.wakeAt, now)
        if output.wakeAt < .distantFuture, wake != scheduledWakes[slot] {
            scheduledWakes[slot] = wake
            schedule(at: wake, .wake(slot: slot, incarnation: incarnations[slot]))
        }
        // A crash point: messages left while writes were still unsynced.
        if !output.messages.isEmpty, disks[slot].hasUnsynced, faultWindowOpen,
            faultRandom.chance(plan.crashPointRate)
        {
            crashBriefly(members[slot])
        }
    }

    mutating func send(_ envelope: Envelope<SingleDecree.Message>) {
        guard let (latency, again) = network.arrivals(from: envelope.from, to: envelope.to, random: &networkRandom)
        else { return }
        schedule(at: now + latency, .deliver(envelope))
        if let again { schedule(at: now + again, .deliver(envelope)) }
    }

    mutating func syncLatency(_ slot: Int) -> TimeSpan {
        if let fixed = options.syncLatency { return fixed }
        return disks[slot].isSlow
            ? diskRandom.span(.milliseconds(1), .milliseconds(10))
            : diskRandom.span(.microseconds(20), .microseconds(200))
    }

    mutating func schedule(at time: Instant, _ kind: SingleDecreeEvent) {
        queue.schedule(at: time, kind)
    }

    mutating func fail(_ kind: Violation.Kind, _ invariant: String, _ detail: String) {
        guard report.violation == nil else { return }
        report.violation = Violation(kind: kind, invariant: invariant, event: report.events, time: now, detail: detail)
        if trace != nil { emit("VIOLATION \(invariant): \(detail)") }
    }

    func emit(_ line: String) { trace?("t=\(now) \(line)") }

    /// After the heal every proposed instance must have a chosen value by now.
    mutating func checkLiveness() {
        let proposed = Set(assigned.flatMap { $0.map(\.instance) }).sorted()
        let open = proposed.filter { checker.chosen[$0] == nil }
        guard let first = open.first else { return }
        fail(
            .liveness, "instance-liveness",
            "\(open.count) of \(proposed.count) instances (first \(first)) have no value chosen "
                + "\(options.livenessBound) after the heal")
    }
}

/// What happens at an instant of a single-decree run; `EventQueue` orders them.
enum SingleDecreeEvent: Sendable {
    case deliver(Envelope<SingleDecree.Message>)
    case wake(slot: Int, incarnation: Int)
    case syncDone(slot: Int, incarnation: Int, through: PersistID)
    case propose(slot: Int, SingleDecree.InstanceID, SingleDecree.Value)
    case restart(slot: Int)
    case networkFault, crashFault, diskFault, heal, livenessDeadline
}
