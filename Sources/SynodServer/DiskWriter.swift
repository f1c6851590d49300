import Foundation
import NIOConcurrencyHelpers
import Raft
import Storage
import SynodCore

/// The disk thread. Raft writes are performed in the order the core issued them; every
/// write waiting when the thread comes round shares one sync (group commit), and only
/// then is the core told `synced(through:)`. A storage error stops the writer for good:
/// a failed fsync may have dropped data, so nothing issued later may be acknowledged.
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

    private static let idle = 0
    private static let work = 1

    init(
        storage: FileStorage, metrics: ServerMetrics, synced: @escaping @Sendable (PersistID) -> Void,
        failed: @escaping @Sendable (StorageError) -> Void
    ) {
        self.storage = storage
        self.metrics = metrics
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

    /// Stops the thread once the queue is drained.
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock(withValue: Self.work)
    }

    private func run() {
        while true {
            lock.lock(whenValue: Self.work)
            let batch = queue
            let hint = commitHint
            let clear = clearingCatchUp
            clearingCatchUp = false
            queue.removeAll(keepingCapacity: true)
            let done = stopping && batch.isEmpty
            lock.unlock(withValue: Self.idle)
            if done { return }
            do throws(StorageError) {
                let start = DispatchTime.now().uptimeNanoseconds
                var entries = 0
                for write in batch {
                    try storage.perform(
                        hardState: write.hardState, commitHint: hint, truncateFrom: write.truncateFrom,
                        snapshot: write.snapshot, entries: write.entries)
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
            } catch {
                failed(error)
                return
            }
            if let last = batch.last { synced(last.id) }
        }
    }
}
