import Replication
import SynodCore

/// How a simulated disk stops writing.
public enum DiskFailureKind: String, Sendable, CaseIterable {
    /// No space left: the server's write fails and the disk thread says so, then retries
    /// until space is freed.
    case full
    /// The sync never returns: nothing tells the server, which must notice by itself.
    case stalledSync = "stalled-sync"
}

/// Disks that cannot write: a full disk or a hung sync on one server, as a story puts
/// it or as the fault plan draws it (see `FaultPlan.diskFailureRate`). While a disk
/// fails no sync starts on it, so its server's writes wait, as the real disk thread's
/// do while it retries; when it works again the writes waiting go in one sync.
extension ClusterSimulation {
    /// The disk of `id` stops writing, until `repairDisk(_:)` or, with `duration`, for
    /// that long. A full disk is reported to the server as the disk thread reports it
    /// (once a write of its fails); a stalled sync is not.
    mutating func failDisk(_ id: NodeID, _ kind: DiskFailureKind, for duration: TimeSpan? = nil, lasting: Bool = false)
    {
        let slot = id.rawValue - 1
        guard disks[slot].failure == nil else { return }
        disks[slot].failure = SimulatedDisk.Failure(
            kind: kind, until: duration.map { now + $0 }, lasting: lasting,
            syncInFlightUntil: disks[slot].busyUntil)
        disks[slot].busyUntil = .distantFuture
        report.faults += 1
        if trace != nil {
            let end = duration.map { " for \($0)" } ?? ""
            emit("\(id) disk \(kind == .full ? "full" : "sync hangs")\(end)\(lasting ? ", outlasting the heal" : "")")
        }
        reportDiskFull(slot)
    }

    /// The disk of `id` writes again: the sync waiting for it starts.
    mutating func repairDisk(_ id: NodeID) {
        let slot = id.rawValue - 1
        guard let failure = disks[slot].failure else { return }
        disks[slot].failure = nil
        // A sync still under way when the disk failed ends on its own and starts the next.
        disks[slot].busyUntil = failure.syncInFlightUntil
        if trace != nil { emit("\(id) disk writes again") }
        if isUp[slot], disks[slot].busyUntil <= now { startSync(slot: slot) }
    }

    /// Whether the disk of `id` cannot write now.
    func diskFails(_ id: NodeID) -> Bool { disks[id.rawValue - 1].failure != nil }

    /// Why the replica of `id` believes its disk cannot write; nil when it believes it
    /// can (or the server is down).
    func diskTrouble(_ id: NodeID) -> String? { servers[id.rawValue - 1]?.diskTrouble }

    /// On each wake of `slot`: a failure whose time is up ends, and a full disk the
    /// server has not been told of yet is reported.
    mutating func checkDisk(_ slot: Int) {
        guard let failure = disks[slot].failure else { return }
        if let until = failure.until, now >= until { return repairDisk(members[slot]) }
        reportDiskFull(slot)
    }

    /// Tells the server its disk is full once it has a write waiting and no sync from
    /// before the failure is still under way: the disk thread reports in order, so a
    /// sync reported after the failure means the disk works again.
    mutating func reportDiskFull(_ slot: Int) {
        guard let failure = disks[slot].failure, failure.kind == .full, !failure.reported, isUp[slot],
            now > failure.syncInFlightUntil, disks[slot].hasUnsynced
        else { return }
        disks[slot].failure?.reported = true
        let reason = "disk full while writing \(members[slot])/wal (simulated)"
        step(slot) { replica, now, out in replica.diskFailed(reason, diskFull: true, at: now, into: &out) }
    }

    /// The plan's random disk failure, drawn at a slow-disk toggle from a stream of its
    /// own (keyed by the event's number, so that no other stream shifts): on the leader
    /// half the time, on at most a minority of the servers at once, for a while or, on
    /// one server at most, past the heal.
    mutating func injectDiskFailure() {
        guard plan.diskFailureRate > 0, faultWindowOpen else { return }
        var random = SeededGenerator(seed: plan.diskFailureSeed, stream: UInt64(report.events))
        guard random.chance(plan.diskFailureRate) else { return }
        let failing = members.filter { diskFails($0) }
        guard failing.count < (members.count - 1) / 2 || (members.count <= 2 && failing.isEmpty) else { return }
        let candidates = members.filter { !diskFails($0) }
        let victim =
            random.chance(0.5) && leader.map({ !diskFails($0) }) == true
            ? leader! : candidates[Int(random.next(upperBound: UInt64(candidates.count)))]
        let kind: DiskFailureKind = random.chance(plan.diskFullShare) ? .full : .stalledSync
        let lasting = !members.contains { disks[$0.rawValue - 1].failure?.lasting == true } && random.chance(0.25)
        let duration = random.span(.milliseconds(100), .seconds(3))
        failDisk(victim, kind, for: lasting ? nil : duration, lasting: lasting)
    }

    /// At the heal every disk works again, but for one failure that may outlast it when
    /// the others can lead without that server: the servers that are up, start, vote
    /// and write must still be a majority.
    mutating func repairDisksAtHeal() {
        for id in members where diskFails(id) {
            let failure = disks[id.rawValue - 1].failure!
            let healthy = members.filter { other in
                let slot = other.rawValue - 1
                return other != id && isUp[slot] && !refused[slot] && !isCatchingUp(slot) && !diskFails(other)
            }
            if failure.lasting, healthy.count >= members.count / 2 + 1 { continue }
            repairDisk(id)
        }
    }
}
