import Raft
import SynodCore

/// One node's disk in memory. Writes land in a volatile cache at once and become
/// durable only when their sync completes; a crash keeps what was synced and, at most,
/// a prefix of the unsynced writes (as a real disk may have flushed some of them).
struct SimulatedDisk: Sendable {
    var hardState = HardState()
    var log: [LogEntry] = []
    /// Written but not yet synced, in order.
    var pending: [RaftWrite] = []
    /// Syncs run one after another: the next one starts no earlier than this.
    var busyUntil: Instant = .zero
    /// A slow disk takes milliseconds per sync instead of microseconds.
    var isSlow = false

    /// Makes every pending write up to `id` durable; returns them in order.
    mutating func sync(through id: PersistID) -> ArraySlice<RaftWrite> {
        var count = 0
        while count < pending.count, pending[count].id <= id { count += 1 }
        let done = pending[..<count]
        for write in done { Self.apply(write, to: &hardState, &log) }
        pending.removeFirst(count)
        return done
    }

    /// A crash: keeps the first `survivors` unsynced writes, loses the rest; returns
    /// the writes kept.
    mutating func crash(keeping survivors: Int) -> ArraySlice<RaftWrite> {
        let kept = pending.prefix(survivors)
        for write in kept { Self.apply(write, to: &hardState, &log) }
        pending.removeAll()
        busyUntil = .zero
        return kept
    }

    static func apply(_ write: RaftWrite, to hardState: inout HardState, _ log: inout [LogEntry]) {
        if let state = write.hardState { hardState = state }
        let cut = write.truncateFrom ?? write.entries.first?.index
        if let cut, Int(cut.rawValue) - 1 < log.count { log.removeSubrange((Int(cut.rawValue) - 1)...) }
        log.append(contentsOf: write.entries)
    }
}
