import Storage
import Synchronization
import SynodCore

/// One WAL row of `synod bench wal`: `appenders` OS threads, each looping "enqueue one
/// record, wait until it is durable", against one fresh `FileStorage`.
struct WALBenchRow: Sendable {
    var appenders: Int
    var appends: Int
    /// Seconds, from the first enqueue to the last thread's end.
    var elapsed: Double
    /// Enqueue to durable, per append.
    var latencies: LatencySummary
    /// The `fdatasync`s the storage made during the row (its `syncCount`).
    var syncs: Int

    /// Group commit at work: appends made durable per sync.
    var recordsPerSync: Double { syncs > 0 ? Double(appends) / Double(syncs) : 0 }
    var syncsPerSecond: Double { elapsed > 0 ? Double(syncs) / elapsed : 0 }

    var rate: Double { elapsed > 0 ? Double(appends) / elapsed : 0 }

    static let recordBytes = 256

    /// What the appender threads hand back when they stop: their samples and the first
    /// failure.
    private struct Results {
        var failure: StorageError?
        var samples: [Double] = []
    }

    /// Runs the row in `directory` (a fresh WAL) until `seconds` have passed or `limit`
    /// appends were handed out, whichever comes first.
    static func measure(
        directory: String, appenders: Int, seconds: Double, limit: Int, options: FileStorage.Options
    ) throws(StorageError) -> WALBenchRow {
        let (storage, _) = try FileStorage.open(directory: directory, options: options)
        // Appends are handed out with an atomic counter, not a lock, so that the bench
        // adds no contention of its own to the storage's.
        let claimed = Atomic<Int>(0)
        let failed = Atomic<Bool>(false)
        let results = Mutex(Results())
        let payload = [UInt8](repeating: 0x5A, count: recordBytes)
        let syncsBefore = storage.syncCount
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        onThreads(appenders) { _ in
            var samples: [Double] = []
            samples.reserveCapacity(limit / appenders + 1)
            var failure: StorageError?
            while monotonicNanoseconds() < deadline, !failed.load(ordering: .relaxed),
                claimed.wrappingAdd(1, ordering: .relaxed).oldValue < limit
            {
                let before = monotonicNanoseconds()
                do throws(StorageError) {
                    let ticket = try storage.enqueue { next in [LogEntry(term: 1, index: next, data: payload)] }
                    _ = try storage.waitDurable(ticket)
                } catch {
                    failure = error
                    failed.store(true, ordering: .relaxed)
                    break
                }
                samples.append(Double(monotonicNanoseconds() - before) / 1e9)
            }
            results.withLock { results in
                results.samples += samples
                results.failure = results.failure ?? failure
            }
        }
        let end = monotonicNanoseconds()
        let syncs = storage.syncCount - syncsBefore
        storage.close()
        let (samples, failure) = results.withLock { ($0.samples, $0.failure) }
        if let failure { throw failure }
        return WALBenchRow(
            appenders: appenders, appends: samples.count, elapsed: Double(end - start) / 1e9,
            latencies: LatencySummary(samples), syncs: syncs)
    }
}
