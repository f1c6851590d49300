import Foundation
import NIOConcurrencyHelpers
import Raft
import Storage
import SynodCore

/// The disk thread. Raft writes are performed in the order the core issued them; every
/// write waiting when the thread comes round shares one sync (group commit), and only
/// then is the core told `synced(through:)`.
///
/// A full disk is reported once and the refused writes are tried again every
/// `retryInterval`, ahead of everything queued since, until they go in: the store cuts
/// a refused write back, and each write is performed so that doing it again leaves the
/// log it describes (`FileStorage.performRepeatably`). Any other storage error stops the writer for good: a
/// failed fsync may have dropped data, so nothing issued later may be acknowledged.
///
/// The unchecked `Sendable` is sound: the queue and flags are touched only under `lock`,
/// and `storage` only by the disk thread.
final class DiskWriter: @unchecked Sendable {
    private var storage: FileStorage
    private let lock = ConditionLock(value: 0)
    private var queue: [RaftWrite] = []
    private var commitHint = LogIndex.zero
    private var stopping = false
    private var clearingCatchUp = false
    private let synced: @Sendable (PersistID) -> Void
    private let failed: @Sendable (StorageError) -> Void
    private let metrics: ServerMetrics
    /// Seconds between attempts at writes a full disk refused.
    let retryInterval: Double

    private static let idle = 0
    private static let work = 1

    init(
        storage: FileStorage, metrics: ServerMetrics, retryInterval: Double = 1,
        synced: @escaping @Sendable (PersistID) -> Void, failed: @escaping @Sendable (StorageError) -> Void
    ) {
        self.storage = storage
        self.metrics = metrics
        self.retryInterval = retryInterval
        self.synced = synced
        self.failed = failed
        let thread = Thread { [self] in run() }
        thread.name = "synod-disk"
        thread.start()
    }

    /// Queues writes (in issue order) with the commit index to record beside hard state.
    func submit(_ writes: [RaftWrite], commitHint: LogIndex) {
        lock.lock()
        queue.append(contentsOf: writes)
        self.commitHint = commitHint
        lock.unlock(withValue: Self.work)
    }

    /// Removes the durable catch-up marker once the writes issued so far are synced: the
    /// server's log now holds everything it may have acknowledged before its damage.
    func clearCatchUp() {
        lock.lock()
        clearingCatchUp = true
        lock.unlock(withValue: Self.work)
    }

    /// Stops the thread once the queue is drained (at once while the disk is full: the
    /// writes it refused are dropped, as a crash would drop them, never acknowledged).
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock(withValue: Self.work)
    }

    private func run() {
        /// Writes a full disk refused, first in line at the next attempt.
        var refused: [RaftWrite] = []
        var clearRefused = false
        while true {
            let retryAt = refused.isEmpty ? nil : DispatchTime.now().uptimeNanoseconds + UInt64(retryInterval * 1e9)
            waitForWork(retryAt: retryAt)
            let batch = refused + queue
            let hint = commitHint
            let clear = clearingCatchUp || clearRefused
            clearingCatchUp = false
            queue.removeAll(keepingCapacity: true)
            let done = stopping && (batch.isEmpty || !refused.isEmpty)
            lock.unlock(withValue: Self.idle)
            if done { return }
            do throws(StorageError) {
                let start = DispatchTime.now().uptimeNanoseconds
                var entries = 0
                for write in batch {
                    try perform(write, commitHint: hint)
                    entries += write.entries.count
                }
                if !batch.isEmpty || clear {
                    let syncStart = DispatchTime.now().uptimeNanoseconds
                    try storage.sync()
                    let end = DispatchTime.now().uptimeNanoseconds
                    metrics.fsyncLatency.recordNanoseconds(end - syncStart)
                    if !batch.isEmpty {
                        metrics.appendLatency.recordNanoseconds(end - start)
                        metrics.batchEntries.record(entries)
                    }
                }
                if clear { try storage.clearCatchUp() }
            } catch .diskFull(let file) {
                if refused.isEmpty { failed(.diskFull(file: file)) }
                refused = batch
                clearRefused = clear
                continue
            } catch {
                failed(error)
                return
            }
            refused = []
            clearRefused = false
            if let last = batch.last { synced(last.id) }
        }
    }

    /// Returns holding the lock once there is work, or, after a full disk, once the next
    /// attempt is due (writes submitted meanwhile only queue) or the writer stops.
    private func waitForWork(retryAt: UInt64?) {
        guard let retryAt else { return lock.lock(whenValue: Self.work) }
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < retryAt else { return lock.lock() }
            if lock.lock(whenValue: Self.work, timeoutSeconds: Double(retryAt - now) / 1e9) {
                if stopping { return }
                lock.unlock(withValue: Self.idle)
            }
        }
    }

    /// Performs one write so that performing it again after a refusal leaves the log it
    /// describes (see `FileStorage.performRepeatably`).
    private func perform(_ write: RaftWrite, commitHint: LogIndex) throws(StorageError) {
        try storage.performRepeatably(
            hardState: write.hardState, commitHint: commitHint, truncateFrom: write.truncateFrom,
            snapshot: write.snapshot, entries: write.entries)
    }
}
