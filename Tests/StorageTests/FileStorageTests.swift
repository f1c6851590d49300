import SynodCore
import Testing

@testable import Storage

@Suite("FileStorage: the Segmented Log")
struct FileStorageTests {
    @Test("entries written across many segments read back, and reopen gives the same state")
    func roundTripAcrossSegments() throws {
        try withTemporaryDirectory { directory in
            let written = (1...200).map { entry(UInt64($0), term: UInt64($0 / 50 + 1), size: $0 % 7 * 20) }
            do {
                let (storage, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
                #expect(recovered == RecoveredState())
                for batch in stride(from: 0, to: written.count, by: 9) {
                    try storage.append(Array(written[batch..<min(batch + 9, written.count)]))
                }
                // Buffered entries read back before any sync.
                #expect(try storage.entries(from: 1) == written)
                try storage.sync()
                try storage.saveHardState(HardState(term: 5, votedFor: 2), commitHint: 150)
                #expect(try storage.entries(from: 37, limit: 50) == Array(written[36..<86]))
                #expect(try storage.entries(from: 201) == [])
                #expect(storage.lastIndex == 200)
            }
            #expect(try segmentFiles(in: directory).count > 10)
            let (reopened, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.entries == written)
            #expect(recovered.hardState == HardState(term: 5, votedFor: 2))
            #expect(recovered.commitHint == 150)
            #expect(recovered.damage == nil && recovered.notes.isEmpty)
            #expect(try reopened.entries(from: 190, limit: 5) == Array(written[189..<194]))
            try reopened.append([entry(201)])
            try reopened.sync()
            #expect(
                try FileStorage.open(directory: directory, options: smallSegments()).1.entries == written + [entry(201)]
            )
        }
    }

    @Test("segment files are named after their first index, twenty digits")
    func segmentNames() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments(200))
            try storage.append(entries(1...10, size: 100))
            try storage.sync()
            let names = try segmentFiles(in: directory)
            #expect(names.first == "00000000000000000001.wal")
            #expect(names.count == 10, "one 100-byte record per 200-byte segment: \(names)")
            #expect(names.allSatisfy { $0.count == 24 })
        }
    }

    @Test("truncation across segment boundaries keeps a prefix, and survives a reopen")
    func truncateAcrossSegments() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...100, size: 40))
            #expect(try segmentFiles(in: directory).isEmpty, "appends are buffered")
            try storage.flush()
            let before = try segmentFiles(in: directory).count
            try storage.truncate(from: 31)  // syncs the buffered appends first
            #expect(try segmentFiles(in: directory).count < before)
            #expect(storage.lastIndex == 30)
            #expect(try storage.entries(from: 1) == entries(1...30, size: 40))
            try storage.append(entries(31...40, term: 2, size: 40))
            try storage.truncate(from: 36)
            try storage.sync()
            let expected = entries(1...30, size: 40) + entries(31...35, term: 2, size: 40)
            #expect(try storage.entries(from: 1) == expected)
            let (reopened, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.entries == expected)
            #expect(recovered.notes.isEmpty)
            // Truncating at the first index of a segment deletes that whole segment.
            let files = try segmentFiles(in: directory)
            let second = try #require(SegmentFile.firstIndex(fromName: files[1]))
            try reopened.truncate(from: second)
            #expect(try segmentFiles(in: directory) == [files[0]])
            #expect(
                try FileStorage.open(directory: directory, options: smallSegments()).1.lastIndex
                    == second.advanced(by: -1))
        }
    }

    @Test("a snapshot moves the Low-Water Mark: covered segments go, reopen loads snapshot and later entries")
    func snapshotLowWaterMark() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...100, size: 40))
            try storage.sync()
            let before = try segmentFiles(in: directory)
            let snapshot = Snapshot(lastIndex: 60, lastTerm: 1, data: [1, 2, 3])
            try storage.saveSnapshot(snapshot)
            let after = try segmentFiles(in: directory)
            #expect(after.count < before.count)
            #expect(after.allSatisfy { before.contains($0) })
            #expect(SegmentFile.firstIndex(fromName: after[0])! <= 61)
            #expect(storage.firstIndex == 61)
            #expect(try storage.entries(from: 61) == entries(61...100, size: 40))
            #expect(isMisuse { () throws(StorageError) in _ = try storage.entries(from: 60, limit: 1) })
            #expect(
                isMisuse { () throws(StorageError) in try storage.truncate(from: 60) },
                "truncating into the snapshot is misuse")
            let (reopened, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.snapshot == snapshot)
            #expect(recovered.entries == entries(61...100, size: 40))
            #expect(recovered.baseIndex == 60)
            // A snapshot covering the whole log deletes every segment; appends continue.
            try reopened.saveSnapshot(Snapshot(lastIndex: 100, lastTerm: 1, data: [4]))
            #expect(try segmentFiles(in: directory).isEmpty)
            try reopened.append([entry(101, term: 2)])
            try reopened.sync()
            #expect(
                try FileStorage.open(directory: directory, options: smallSegments()).1.entries == [entry(101, term: 2)])
        }
    }

    @Test("a snapshot that does not match the log drops every entry")
    func snapshotNotMatchingTheLog() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...50, size: 40))
            // The leader's entry 30 has term 3: the local suffix from 30 conflicts.
            try storage.saveSnapshot(Snapshot(lastIndex: 30, lastTerm: 3, data: [9]))
            #expect(storage.lastIndex == 30)
            #expect(try segmentFiles(in: directory).isEmpty)
            #expect(
                isMisuse { () throws(StorageError) in try storage.append([entry(40)]) }, "the next append must be 31")
            try storage.append([entry(31, term: 3)])
            try storage.sync()
            let recovered = try FileStorage.open(directory: directory, options: smallSegments()).1
            #expect(recovered.snapshot?.lastIndex == 30)
            #expect(recovered.entries == [entry(31, term: 3)])
            // A snapshot beyond the log's end drops everything too.
            let (again, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try again.saveSnapshot(Snapshot(lastIndex: 500, lastTerm: 4, data: []))
            #expect(again.lastIndex == 500)
            #expect(try FileStorage.open(directory: directory).1.entries.isEmpty)
        }
    }

    @Test("appends must continue the log; enqueue hands out contiguous indexes")
    func contiguity() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory)
            #expect(isMisuse { () throws(StorageError) in try storage.append([entry(2)]) })
            #expect(isMisuse { () throws(StorageError) in try storage.append([entry(1), entry(3)]) })
            let ticket = try storage.enqueue { next in [entry(next.rawValue), entry(next.rawValue + 1)] }
            #expect(ticket.lastIndex == 2)
            let durable = try storage.waitDurable(ticket)
            #expect(durable.lastIndex == 2)
            #expect(storage.syncCount == 1)
            _ = try storage.waitDurable(ticket)
            #expect(storage.syncCount == 1, "an already durable ticket needs no sync")
            try storage.sync()
            #expect(storage.syncCount == 1)
        }
    }
}

/// True when `body` fails as a contract violation.
func isMisuse(_ body: () throws(StorageError) -> Void) -> Bool {
    if case .misuse = storageError(body) { return true }
    return false
}
