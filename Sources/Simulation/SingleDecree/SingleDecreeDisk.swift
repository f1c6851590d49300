import Paxos
import SynodCore

/// A node's disk for single-decree Paxos: writes land in a volatile cache and become
/// durable when their sync completes; a crash keeps what was synced and, by chance, a
/// prefix of the rest. Syncs complete in the order they were issued.
struct SingleDecreeDisk: Sendable {
    var durable = SingleDecree.DurableState()
    var unsynced: [SingleDecree.Write] = []
    var isSlow = false
    /// When the last sync issued completes: a later one never completes before it.
    var lastSyncDone: Instant = .zero

    var hasUnsynced: Bool { !unsynced.isEmpty }

    /// Takes a write and returns the instant its sync completes.
    mutating func issue(_ write: SingleDecree.Write, at now: Instant, latency: TimeSpan) -> Instant {
        unsynced.append(write)
        lastSyncDone = max(lastSyncDone, now + latency)
        return lastSyncDone
    }

    mutating func synced(through id: PersistID) {
        var count = 0
        while count < unsynced.count, unsynced[count].id <= id {
            durable.apply(unsynced[count])
            count += 1
        }
        unsynced.removeFirst(count)
    }

    /// Loses every unsynced write but the first `survivors`.
    mutating func crash(keeping survivors: Int) {
        for write in unsynced.prefix(survivors) { durable.apply(write) }
        unsynced.removeAll()
        lastSyncDone = .zero
    }
}
