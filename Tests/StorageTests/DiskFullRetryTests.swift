import SynodCore
import Testing

@testable import Storage

/// The disk thread's retry after a full disk: the writes of a refused batch are done
/// again, in order, with `performRepeatably`, and the log must come out whole, with no
/// torn, doubled or missing record, whatever part of the batch reached the files first.
@Suite("Retrying writes a full disk refused")
struct DiskFullRetryTests {
    /// One replica write: hard state and/or entries.
    struct Write {
        var hardState: HardState?
        var entries: [LogEntry] = []
    }

    static func perform(_ writes: [Write], on storage: FileStorage) throws(StorageError) {
        for write in writes {
            try storage.performRepeatably(
                hardState: write.hardState, commitHint: 0, truncateFrom: nil, snapshot: nil, entries: write.entries)
        }
        try storage.sync()
    }

    @Test("a batch refused after part of it was written is done again whole, and recovers clean")
    func aRetriedBatchLeavesTheLogWhole() throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            var options = smallSegments()
            options.systemCalls = faults.systemCalls
            let (storage, _) = try FileStorage.open(directory: directory, options: options)
            let stored = entries(1...10, size: 40)
            try storage.append(stored)
            try storage.sync()

            // The hard state's write drains the entries before it to the segment; the
            // disk fills before the last write's entries go in.
            let batch = [
                Write(entries: entries(11...12, size: 40)), Write(hardState: HardState(term: 2)),
                Write(entries: entries(13...20, term: 2, size: 40)),
            ]
            try storage.performRepeatably(
                hardState: nil, commitHint: 0, truncateFrom: nil, snapshot: nil, entries: batch[0].entries)
            try storage.performRepeatably(
                hardState: batch[1].hardState, commitHint: 0, truncateFrom: nil, snapshot: nil, entries: [])
            faults.diskFull = true
            let refused = storageError { () throws(StorageError) in
                try storage.performRepeatably(
                    hardState: nil, commitHint: 0, truncateFrom: nil, snapshot: nil, entries: batch[2].entries)
                try storage.sync()
            }
            guard case .diskFull = refused else {
                Issue.record("expected .diskFull, got \(String(describing: refused))")
                return
            }
            #expect(storage.lastIndex == 12, "the refused entries are cut back; the drained ones stay")

            // Still full: the whole batch is refused again, and nothing changes.
            #expect(storageError { () throws(StorageError) in try Self.perform(batch, on: storage) } != nil)
            faults.diskFull = false
            try Self.perform(batch, on: storage)
            #expect(try storage.entries(from: 1) == stored + batch[0].entries + batch[2].entries)
            let recovered = try FileStorage.open(directory: directory, options: options).1
            #expect(recovered.entries == stored + batch[0].entries + batch[2].entries)
            #expect(recovered.hardState.term == 2)
            #expect(recovered.damage == nil && recovered.notes.isEmpty, "\(recovered.notes)")
        }
    }

    @Test("on a first attempt nothing is cut: the writes go in as plain appends")
    func aFirstAttemptCutsNothing() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try Self.perform([Write(entries: entries(1...5)), Write(entries: entries(6...9))], on: storage)
            let syncs = storage.syncCount
            try Self.perform([Write(entries: entries(10...12))], on: storage)
            #expect(storage.syncCount == syncs + 1, "one sync, no truncation's")
            #expect(try storage.entries(from: 1) == entries(1...12))
        }
    }
}
