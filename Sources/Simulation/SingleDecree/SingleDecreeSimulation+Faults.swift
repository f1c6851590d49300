import Paxos
import SynodCore

/// The fault API of the single-decree simulator, usable as a story in tests and driven
/// at random by the fault plan during the first 80% of a run.
extension SingleDecreeSimulation {
    var faultWindowOpen: Bool { now < options.healTime }

    /// Whether a node is up.
    public func isUp(_ id: NodeID) -> Bool { nodes[id.rawValue - 1] != nil }

    /// Cuts every link between the two groups, both ways.
    public mutating func partition(_ side: [NodeID], _ other: [NodeID]) {
        network.partition(side, other)
        report.faults += 1
        if trace != nil { emit("partition \(side.map(\.rawValue)) | \(other.map(\.rawValue))") }
    }

    /// Stops a node: its disk keeps what was synced and, by chance, a prefix of the rest.
    public mutating func crash(_ id: NodeID) {
        let slot = id.rawValue - 1
        guard nodes[slot] != nil else { return }
        nodes[slot] = nil
        incarnations[slot] += 1
        scheduledWakes[slot] = .distantFuture
        let pending = disks[slot].unsynced.count
        let survivors =
            pending > 0 && diskRandom.chance(plan.crashKeepsSomeUnsynced)
            ? Int(diskRandom.next(upperBound: UInt64(pending + 1))) : 0
        disks[slot].crash(keeping: survivors)
        report.faults += 1
        if trace != nil { emit("\(id) crash (kept \(survivors) of \(pending) unsynced writes)") }
        if forgottenReply == nil, let detail = checker.forgottenReply(of: id, durable: disks[slot].durable) {
            forgottenReply = Violation(
                kind: .safety, invariant: "persist-before-reply", event: report.events, time: now, detail: detail)
            if trace != nil { emit("forgotten reply: \(detail)") }
        }
    }

    /// Starts a crashed node again from its disk alone; it is asked again for every
    /// proposal it had not answered, as clients retry.
    public mutating func restart(_ id: NodeID) {
        let slot = id.rawValue - 1
        guard nodes[slot] == nil else { return }
        nodes[slot] = makeNode(slot: slot, durable: disks[slot].durable)
        if trace != nil { emit("\(id) restart (\(disks[slot].durable.acceptors.count) acceptors on disk)") }
        for proposal in assigned[slot] where !proposal.answered {
            step(slot) { node, now, out in node.propose(proposal.value, for: proposal.instance, at: now, into: &out) }
            if nodes[slot] == nil || report.violation != nil { return }
        }
    }

    /// Every link up, no loss, fast disks, every crashed node restarted.
    public mutating func heal() {
        network.healLinks()
        network.calm()
        for slot in disks.indices { disks[slot].isSlow = false }
        if trace != nil { emit("heal") }
        for id in members where !isUp(id) { restart(id) }
    }

    mutating func injectNetworkFault() {
        guard faultWindowOpen, let every = plan.networkEvery else { return }
        network.healLinks()
        switch NetworkFault.draw(members: members, leader: nil, isolating: false, random: &faultRandom) {
        case .heal:
            if trace != nil { emit("links healed") }
        case .partition(let one, let other):
            partition(one, other)
        case .oneWayCuts(let links):
            cut(links, kind: "one-way cuts")
        case .partialConnectivity(let links):
            cut(links, kind: "partial connectivity")
        case .isolate(let server):  // not drawn without `isolating`
            partition([server], members.filter { $0 != server })
        case .partialPartition(let hub, let others):
            partition([hub], others)
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .networkFault)
    }

    private mutating func cut(_ links: [(from: NodeID, to: NodeID)], kind: String) {
        for (from, to) in links { network.setDown(from: from, to: to, true) }
        report.faults += 1
        if trace != nil { emit("\(kind): \(network.downLinkCount) links down") }
    }

    mutating func injectCrash() {
        guard faultWindowOpen, let every = plan.crashEvery else { return }
        let up = members.filter { isUp($0) }
        // Keep enough nodes up for progress; safety must hold either way.
        if FaultPlan.mayCrash(down: members.count - up.count, of: members.count) {
            let victim = up[Int(faultRandom.next(upperBound: UInt64(up.count)))]
            crash(victim)
            let downtime = faultRandom.span(.milliseconds(1), plan.maxDowntime)
            if now + downtime < options.healTime { schedule(at: now + downtime, .restart(slot: victim.rawValue - 1)) }
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .crashFault)
    }

    /// A crash at a point of execution (see `FaultPlan.crashPointRate`), back soon after:
    /// often before the messages it just sent have landed.
    mutating func crashBriefly(_ id: NodeID) {
        let down = members.filter { !isUp($0) }.count
        guard down < (members.count - 1) / 2 || members.count <= 2 else { return }
        crash(id)
        schedule(at: now + FaultPlan.crashPointDowntime(&faultRandom), .restart(slot: id.rawValue - 1))
    }

    mutating func injectDiskFault() {
        guard faultWindowOpen, let every = plan.slowDiskEvery else { return }
        let slot = Int(faultRandom.next(upperBound: UInt64(members.count)))
        disks[slot].isSlow.toggle()
        if disks[slot].isSlow { report.faults += 1 }
        if trace != nil { emit("\(members[slot]) disk \(disks[slot].isSlow ? "slow" : "fast")") }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .diskFault)
    }
}
