import Checker
import Raft
import Storage
import SynodCore

/// The fault API, usable as a story in tests (`partition([1, 2], [3, 4, 5])`) and
/// driven at random by the fault plan during the first 80% of a run.
extension ClusterSimulation {
    /// Cuts every link between the two groups, both ways.
    mutating func partition(_ side: [NodeID], _ other: [NodeID]) {
        network.partition(side, other)
        report.faults += 1
        if trace != nil { emit("partition \(side.map(\.rawValue)) | \(other.map(\.rawValue))") }
    }

    /// Cuts one direction of one link: `from` can no longer reach `to`.
    mutating func cut(from: NodeID, to: NodeID) {
        network.setDown(from: from, to: to, true)
        report.faults += 1
        if trace != nil { emit("cut \(from) -> \(to)") }
    }

    /// Restores one direction of one link.
    mutating func restore(from: NodeID, to: NodeID) {
        network.setDown(from: from, to: to, false)
        if trace != nil { emit("restore \(from) -> \(to)") }
    }

    /// Cuts both directions between two servers.
    mutating func disconnect(_ a: NodeID, _ b: NodeID) {
        network.setDown(from: a, to: b, true)
        network.setDown(from: b, to: a, true)
        report.faults += 1
        if trace != nil { emit("disconnect \(a) <-> \(b)") }
    }

    /// Restores both directions between two servers.
    mutating func reconnect(_ a: NodeID, _ b: NodeID) {
        network.setDown(from: a, to: b, false)
        network.setDown(from: b, to: a, false)
        if trace != nil { emit("reconnect \(a) <-> \(b)") }
    }

    /// Whether messages from `from` to `to` are dropped.
    func isCut(from: NodeID, to: NodeID) -> Bool { network.isDown(from: from, to: to) }

    /// Cuts a server off from every other, both ways.
    mutating func isolate(_ id: NodeID) {
        partition([id], members.filter { $0 != id })
    }

    /// Stops a server. Its disk keeps what was synced and perhaps a prefix of the rest,
    /// the last record of which may be torn; a lying disk loses synced records too.
    mutating func crash(_ id: NodeID) { crash(id, keepingUnsynced: true) }

    /// A crash; without `keepingUnsynced`, every write not yet synced is lost (a crash
    /// just before the sync, which the targeted faults aim for).
    mutating func crash(_ id: NodeID, keepingUnsynced: Bool) {
        let slot = id.rawValue - 1
        guard isUp[slot] else { return }
        servers[slot] = nil
        isUp[slot] = false
        incarnations[slot] += 1
        scheduledWakes[slot] = .distantFuture
        let pending = disks[slot].unsynced.count
        let survivors =
            keepingUnsynced && pending > 0 && diskRandom.chance(plan.crashKeepsSomeUnsynced)
            ? Int(diskRandom.next(upperBound: UInt64(pending + 1))) : 0
        let tear: RecordDamage? =
            survivors > 0 && diskRandom.chance(plan.tornWriteRate)
            ? (diskRandom.chance(0.5) ? .incomplete : .zeroFilled) : nil
        let lieDrop = disks[slot].lies ? Int(diskRandom.next(upperBound: UInt64(plan.lieDrop + 1))) : 0
        var changes = disks[slot].crash(keeping: survivors, tear: tear, liesDrop: lieDrop)
        report.faults += 1
        if trace != nil {
            let torn = tear.map { ", last record \($0)" } ?? ""
            let lost = lieDrop > 0 ? ", lying disk dropped up to \(lieDrop) synced records" : ""
            emit("\(id) crash (kept \(survivors) of \(pending) unsynced operations\(torn)\(lost))")
        }
        // A torn record is unreadable from now on: the checker's copy drops it at once.
        if tear != nil, let last = disks[slot].records.last, last.damage != nil {
            changes.append(.truncated(from: last.entry.index))
        }
        if let failure = Core.mirror(changes, of: id, in: &self) { fail(.safety, failure) }
        Core.crashed(id, &checks)
    }

    /// Starts a crashed server again from what its disk holds, by the storage recovery
    /// rule: a damaged tail is cut (and, when it may have held acknowledged entries, the
    /// server rejoins as a non-voter until it catches up); corruption anywhere else
    /// refuses the start, and the server stays down.
    mutating func restart(_ id: NodeID) {
        let slot = id.rawValue - 1
        guard !isUp[slot], !refused[slot] else { return }
        let recovered: RecoveredState
        do {
            recovered = try disks[slot].recover(file: "\(id)")
        } catch {
            refused[slot] = true
            report.refusedStarts += 1
            if trace != nil { emit("\(id) refuses to start: \(error)") }
            Core.diskDamaged(id, refused: true, &checks)
            return
        }
        Core.restart(id, from: recovered, in: &self)
        tickServer(slot)
    }

    /// A story's storage fault: a bit flips in `id`'s synced log record at `position`
    /// (counted from the oldest record kept after the snapshot; nil: the newest).
    mutating func flipBit(on id: NodeID, record position: Int? = nil) {
        let slot = id.rawValue - 1
        guard let newest = disks[slot].records.indices.last else { return }
        disks[slot].flipBit(at: position ?? newest, inHardState: false)
        Core.diskDamaged(id, refused: false, &checks)
        report.faults += 1
        if trace != nil { emit("\(id) disk: bit flip in record \((position ?? newest) + 1)") }
    }

    /// Whether `id`'s storage recovery refused to start it (it stays down).
    func refusedToStart(_ id: NodeID) -> Bool { refused[id.rawValue - 1] }

    /// Whether the checker lets `id` vote (false while it catches up after damage).
    func mayVote(_ id: NodeID) -> Bool { Core.mayVote(id, checks) }

    /// Every server loses power at once and comes back a little later: what a lying
    /// disk dropped is gone from all of them together.
    mutating func injectPowerFailure() {
        guard faultWindowOpen, let every = plan.powerFailureEvery else { return }
        if trace != nil { emit("power failure") }
        for id in members where isUp[id.rawValue - 1] {
            crash(id)
            let downtime = faultRandom.span(.milliseconds(1), .milliseconds(100))
            if now + downtime < options.healTime { schedule(at: now + downtime, .restart(slot: id.rawValue - 1)) }
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .powerFailure)
    }

    /// A bit flips in synced data on one of the servers the plan allows (a minority):
    /// mostly in the newest record, sometimes in an older one or in the hard state.
    mutating func injectBitFlip() {
        guard faultWindowOpen, let every = plan.bitFlipEvery, !plan.flipServers.isEmpty else { return }
        let slot = plan.flipServers[Int(faultRandom.next(upperBound: UInt64(plan.flipServers.count)))]
        let id = members[slot]
        let count = disks[slot].records.count
        let inHardState = faultRandom.chance(0.05)
        if count > 0 || inHardState {
            let position =
                inHardState ? 0 : faultRandom.chance(0.6) ? count - 1 : Int(faultRandom.next(upperBound: UInt64(count)))
            disks[slot].flipBit(at: position, inHardState: inHardState)
            report.faults += 1
            // Damage matters once the server restarts and reads its disk: often soon.
            if isUp[slot], faultRandom.chance(0.5) {
                crash(id)
                schedule(at: now + faultRandom.span(.microseconds(100), .milliseconds(50)), .restart(slot: slot))
            }
            if trace != nil {
                emit("\(id) disk: bit flip in \(inHardState ? "the hard state" : "record \(position + 1) of \(count)")")
            }
            Core.diskDamaged(id, refused: false, &checks)
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .bitFlip)
    }

    /// Every link up, no loss, no slow disk, every crashed server restarted, every disk
    /// writing but perhaps one that may outlast the heal (`repairDisksAtHeal`).
    mutating func heal() {
        network.healLinks()
        network.calm()
        for slot in disks.indices { disks[slot].isSlow = false }
        if trace != nil { emit("heal") }
        for id in members where !isUp[id.rawValue - 1] { restart(id) }
        if members.contains(where: { diskFails($0) }) { repairDisksAtHeal() }
    }

    /// Makes a server's disk slow (syncs take milliseconds) or fast again.
    mutating func setSlowDisk(_ id: NodeID, _ slow: Bool) {
        disks[id.rawValue - 1].isSlow = slow
        if slow { report.faults += 1 }
        if trace != nil { emit("\(id) disk \(slow ? "slow" : "fast")") }
    }

    // MARK: Random faults

    var faultWindowOpen: Bool { now < options.healTime }

    mutating func injectNetworkFault() {
        guard faultWindowOpen, let every = plan.networkEvery else { return }
        network.healLinks()
        switch NetworkFault.draw(members: members, leader: leader, isolating: true, random: &faultRandom) {
        case .heal:
            if trace != nil { emit("links healed") }
        case .partition(let one, let other):
            partition(one, other)
        case .oneWayCuts(let cuts):
            for (from, to) in cuts { cut(from: from, to: to) }
        case .partialConnectivity(let links):
            for (from, to) in links { network.setDown(from: from, to: to, true) }
            if !links.isEmpty { report.faults += 1 }
            if trace != nil { emit("partial connectivity: \(network.downLinkCount) links down") }
        case .isolate(let server):
            isolate(server)
        case .partialPartition(let hub, let others):
            partition([hub], others)
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .networkFault)
    }

    mutating func injectCrash() {
        guard faultWindowOpen, let every = plan.crashEvery else { return }
        let up = members.filter { isUp[$0.rawValue - 1] }
        // Keep a majority up so the run makes progress; safety must hold either way.
        if FaultPlan.mayCrash(down: members.count - up.count, of: members.count) {
            // The leader's crashes matter most: half of them strike it.
            let victim =
                faultRandom.chance(0.5) ? (leader ?? up[0]) : up[Int(faultRandom.next(upperBound: UInt64(up.count)))]
            crash(victim)
            let downtime = faultRandom.span(.milliseconds(1), plan.maxDowntime)
            if now + downtime < options.healTime {
                schedule(at: now + downtime, .restart(slot: victim.rawValue - 1))
            }
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .crashFault)
    }

    /// A crash at a point of execution (see `FaultPlan.crashPointRate`), back soon after;
    /// without `keepingUnsynced`, the targeted crash of a new leader (see
    /// `isolateNewLeader`), which comes back very soon when the servers its entries
    /// reached are cut off.
    mutating func crashBriefly(_ id: NodeID, keepingUnsynced: Bool = true, backSoon: Bool = false) {
        let down = members.filter { !isUp[$0.rawValue - 1] }.count
        guard down < (members.count - 1) / 2 || members.count <= 2 else { return }
        crash(id, keepingUnsynced: keepingUnsynced)
        // Back before its peers' election timers run out, to campaign first.
        let downtime =
            backSoon ? buggify.span(.microseconds(20), .milliseconds(50)) : FaultPlan.crashPointDowntime(&faultRandom)
        schedule(at: now + downtime, .restart(slot: id.rawValue - 1))
    }

    mutating func injectTransfer() {
        guard faultWindowOpen, let every = plan.transferEvery else { return }
        if let leader {
            let others = members.filter { $0 != leader }
            transferLeadership(from: leader, to: others[Int(faultRandom.next(upperBound: UInt64(others.count)))])
        }
        schedule(at: now + faultRandom.span(every / 4, every * 2), .transferFault)
    }

    /// Asks `leader` to hand leadership to `target` (§3.10). Returns whether it agreed.
    @discardableResult
    mutating func transferLeadership(from leader: NodeID, to target: NodeID) -> Bool {
        var agreed = false
        guard Core.takesStorageAndTransferFaults else { return false }
        if trace != nil { emit("\(leader) asked to transfer leadership to \(target)") }
        step(leader.rawValue - 1) { replica, now, out in
            agreed =
                replica.drive(at: now, into: &out) { node, now, out in
                    node.transferLeadership(to: target, at: now, into: &out)
                } ?? false
        }
        return agreed
    }

    mutating func injectDiskFault() {
        guard faultWindowOpen, let every = plan.slowDiskEvery else { return }
        let id = members[Int(faultRandom.next(upperBound: UInt64(members.count)))]
        setSlowDisk(id, !disks[id.rawValue - 1].isSlow)
        schedule(at: now + faultRandom.span(every / 4, every * 2), .diskFault)
        injectDiskFailure()
    }
}

extension TimeSpan {
    static func / (lhs: TimeSpan, rhs: Int64) -> TimeSpan { TimeSpan(nanoseconds: lhs.nanoseconds / rhs) }
}
