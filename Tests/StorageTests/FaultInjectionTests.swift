import SynodCore
import Testing

@testable import Storage

@Suite("Injected disk faults")
struct FaultInjectionTests {
    @Test("a failed fdatasync is fatal: .syncFailed, then .closed for every later call")
    func syncFailureIsFatal() throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            var options = FileStorage.Options()
            options.systemCalls = faults.systemCalls
            let (storage, _) = try FileStorage.open(directory: directory, options: options)
            try storage.append(entries(1...3))
            try storage.sync()
            try storage.append(entries(4...5))
            let ticket = try storage.enqueue { next in [entry(next.rawValue)] }
            faults.failSyncs = true
            guard case .syncFailed(let file, let code) = storageError({ () throws(StorageError) in try storage.sync() })
            else {
                Issue.record("expected .syncFailed")
                return
            }
            #expect(file.hasSuffix("00000000000000000001.wal"))
            #expect(code == 5)  // EIO
            faults.failSyncs = false
            // The ticket was covered by the failed sync: it learns of the failure itself.
            #expect(
                storageError { () throws(StorageError) in _ = try storage.waitDurable(ticket) }
                    == .syncFailed(file: file, errno: 5))
            #expect(storageError { () throws(StorageError) in try storage.append([entry(7)]) } == .closed)
            #expect(storageError { () throws(StorageError) in try storage.sync() } == .closed)
            #expect(storageError { () throws(StorageError) in _ = try storage.entries(from: 1) } == .closed)
            #expect(
                storageError { () throws(StorageError) in try storage.saveHardState(HardState(), commitHint: 0) }
                    == .closed)
            let recovered = try FileStorage.open(directory: directory, options: options).1
            #expect(Array(recovered.entries.prefix(3)) == entries(1...3), "synced entries survive")
        }
    }

    @Test("a failed fsync of the hard state is fatal too")
    func hardStateSyncFailure() throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            var options = FileStorage.Options()
            options.systemCalls = faults.systemCalls
            let (storage, _) = try FileStorage.open(directory: directory, options: options)
            faults.failSyncs = true
            let error = storageError { () throws(StorageError) in
                try storage.saveHardState(HardState(term: 2), commitHint: 0)
            }
            guard case .syncFailed = error else {
                Issue.record("expected .syncFailed, got \(String(describing: error))")
                return
            }
            #expect(storageError { () throws(StorageError) in try storage.append([entry(1)]) } == .closed)
        }
    }

    @Test("disk full while creating a segment: the segment is removed, the store stays open")
    func diskFullOnNewSegment() throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            var options = smallSegments()
            options.systemCalls = faults.systemCalls
            let (storage, _) = try FileStorage.open(directory: directory, options: options)
            let stored = entries(1...15, size: 40)  // fills the first segment
            try storage.append(stored)
            try storage.sync()
            faults.diskFull = true
            try storage.append(entries(16...17, size: 40))
            let error = storageError { () throws(StorageError) in try storage.sync() }
            #expect(error == .diskFull(file: directory + "/" + SegmentFile.name(firstIndex: 16)))
            #expect(try segmentFiles(in: directory) == [SegmentFile.name(firstIndex: 1)])
            #expect(try storage.entries(from: 1) == stored)
            faults.diskFull = false
            try storage.append(entries(16...17, term: 2, size: 40))
            try storage.sync()
            #expect(
                try FileStorage.open(directory: directory, options: options).1.entries == stored
                    + entries(16...17, term: 2, size: 40))
        }
    }

    @Test("disk full: the write is refused, the store stays open, stored data stays readable")
    func diskFull() throws {
        try withTemporaryDirectory { directory in
            let faults = Faults()
            var options = smallSegments()
            options.systemCalls = faults.systemCalls
            let (storage, _) = try FileStorage.open(directory: directory, options: options)
            let stored = entries(1...20, size: 40)
            try storage.append(stored)
            try storage.sync()
            let sizes = try segmentFiles(in: directory).map { try readBytes(directory + "/" + $0).count }

            faults.diskFull = true
            try storage.append(entries(21...22, size: 40))
            let ticket = try storage.enqueue { next in [entry(next.rawValue, size: 40)] }
            guard case .diskFull(let file) = storageError({ () throws(StorageError) in try storage.sync() }) else {
                Issue.record("expected .diskFull")
                return
            }
            #expect(file.hasSuffix(".wal"))
            #expect(
                storageError { () throws(StorageError) in _ = try storage.waitDurable(ticket) } == .diskFull(file: file)
            )
            #expect(
                try segmentFiles(in: directory).map { try readBytes(directory + "/" + $0).count } == sizes, "cut back")
            #expect(try storage.entries(from: 1) == stored)
            #expect(storage.lastIndex == 20)
            let hardState = storageError { () throws(StorageError) in
                try storage.saveHardState(HardState(term: 3), commitHint: 0)
            }
            guard case .diskFull = hardState else {
                Issue.record("expected .diskFull for the hard state, got \(String(describing: hardState))")
                return
            }

            faults.diskFull = false
            try storage.sync()
            try storage.append(entries(21...30, term: 2, size: 40))
            try storage.sync()
            try storage.saveHardState(HardState(term: 3), commitHint: 0)
            let recovered = try FileStorage.open(directory: directory, options: options).1
            #expect(recovered.entries == stored + entries(21...30, term: 2, size: 40))
            #expect(recovered.hardState.term == 3)
            #expect(recovered.damage == nil && recovered.notes.isEmpty, "\(recovered.notes)")
        }
    }
}
