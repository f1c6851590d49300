import SynodCore
import Testing

@testable import Storage

/// Damage anywhere but the tail of the last segment is refused, naming file and offset;
/// damage at the tail is cut away, and reported when it may have held acknowledged data.
@Suite("Recovery: corruption and torn tails")
struct CorruptionTests {
    /// A synced log of 60 entries in 4 segments (15 records of 70 bytes each: a 12-byte
    /// header and a 58-byte payload).
    struct Fixture {
        var directory: String
        var segments: [(path: String, recordOffsets: [Int64], written: Int64, synced: Int64)]

        init(directory: String, commitHint: LogIndex = 0) throws {
            self.directory = directory
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...60, size: 40))
            try storage.saveHardState(HardState(term: 1, votedFor: 1), commitHint: commitHint)
            try storage.saveSnapshot(Snapshot(lastIndex: 0, lastTerm: 0, data: [7, 7]))
            segments = storage.segmentStates()
            storage.close()
        }

        var last: (path: String, recordOffsets: [Int64], written: Int64, synced: Int64) { segments.last! }

        /// Every file's bytes, to show that a refused open changed nothing.
        func contents() throws -> [String: [UInt8]] {
            var all: [String: [UInt8]] = [:]
            for name in try directoryNames(directory) { all[name] = try readBytes(directory + "/" + name) }
            return all
        }

        func open() -> StorageError? {
            storageError { () throws(StorageError) in
                _ = try FileStorage.open(directory: directory, options: smallSegments())
            }
        }

        /// Expects opening to fail with `.corrupt` naming `path` and `offset`, leaving every file as it was.
        func expectCorrupt(_ path: String, at offset: Int64, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let before = try contents()
            let error = open()
            guard case .corrupt(let file, let found, _) = error else {
                Issue.record(
                    "expected corruption in \(path) at \(offset), got \(String(describing: error))",
                    sourceLocation: sourceLocation)
                return
            }
            #expect(file == path, sourceLocation: sourceLocation)
            #expect(found == offset, sourceLocation: sourceLocation)
            #expect(try contents() == before, "a refused open changes nothing", sourceLocation: sourceLocation)
        }
    }

    @Test("a flipped bit in a middle record of the last segment is corruption")
    func flippedBitInLastSegmentMiddle() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            #expect(log.segments.count == 4)
            let offset = log.last.recordOffsets[5]
            try flipBit(in: log.last.path, at: offset + 20, bit: 3)
            try log.expectCorrupt(log.last.path, at: offset)
        }
    }

    @Test("a flipped bit in an old segment is corruption, even in its last record")
    func flippedBitInOldSegment() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let old = log.segments[1]
            try flipBit(in: old.path, at: old.recordOffsets.last! + 12)
            try log.expectCorrupt(old.path, at: old.recordOffsets.last!)
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let old = log.segments[0]
            try flipBit(in: old.path, at: old.recordOffsets[2] + 1, bit: 7)  // the length field
            try log.expectCorrupt(old.path, at: old.recordOffsets[2])
        }
    }

    @Test("a flipped bit in the length field of the last record opens with damage reported, never a silent cut")
    func flippedLengthBitInLastRecord() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = log.last.recordOffsets.last!
            let original = try readBytes(log.last.path)
            for bit in 0..<32 {
                try writeBytes(original, to: log.last.path)
                try? removeFile(directory + "/" + CatchUpFile.name)
                try flipBit(in: log.last.path, at: offset + Int64(bit / 8), bit: bit % 8)
                let (storage, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
                storage.close()
                let damage = try #require(recovered.damage, "length bit \(bit): \(recovered.notes)")
                #expect(damage.file == log.last.path)
                #expect(damage.offset == offset)
                #expect(damage.reason == "record length checksum mismatch")
                #expect(damage.possibleEnd >= 60, "index 60 may have been acknowledged")
                #expect(recovered.entries == entries(1...59, size: 40))
            }
        }
    }

    @Test("a record cut short after an intact header is a torn write: a clean open with a note")
    func recordCutShortAfterHeader() throws {
        for kept in [RecordFormat.headerSize, RecordFormat.headerSize + 17, RecordFormat.headerSize - 1] {
            try withTemporaryDirectory { directory in
                let log = try Fixture(directory: directory)
                let offset = log.last.recordOffsets.last!
                try writeBytes(Array(try readBytes(log.last.path).prefix(Int(offset) + kept)), to: log.last.path)
                let (_, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
                #expect(recovered.damage == nil, "kept \(kept) bytes")
                #expect(recovered.entries == entries(1...59, size: 40))
                let note = try #require(recovered.notes.first)
                #expect(note.contains("torn tail of \(log.last.path) at offset \(offset) (\(kept) bytes)"), "\(note)")
                let expected = kept < RecordFormat.headerSize ? "record header cut short" : "58 bytes claimed"
                #expect(note.contains(expected), "\(note)")
                #expect(try directoryNames(directory).contains(CatchUpFile.name) == false)
            }
        }
    }

    @Test("a flipped length bit in a middle record is corruption naming the file and offset")
    func flippedLengthBitInMiddleRecord() throws {
        for (byte, bit) in [(0, 6), (0, 0), (3, 7)] {  // past the end of the file, a little off, huge
            try withTemporaryDirectory { directory in
                let log = try Fixture(directory: directory)
                let offset = log.last.recordOffsets[9]
                try flipBit(in: log.last.path, at: offset + Int64(byte), bit: bit)
                try log.expectCorrupt(log.last.path, at: offset)
            }
        }
    }

    @Test("an intact length no record can have is corruption, even in the last record")
    func impossibleIntactLength() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = Int(log.last.recordOffsets.last!)
            var bytes = try readBytes(log.last.path)
            var header: [UInt8] = []
            let length: UInt32 = 1 << 30
            appendInteger(length, to: &header)
            appendInteger(RecordFormat.lengthChecksum(length), to: &header)
            bytes.replaceSubrange(offset..<(offset + 8), with: header)
            try writeBytes(bytes, to: log.last.path)
            try log.expectCorrupt(log.last.path, at: Int64(offset))
        }
    }

    @Test("a zeroed header before its payload is corruption, not a zero-filled tail")
    func zeroedHeaderBeforePayload() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = Int(log.last.recordOffsets.last!)
            var bytes = try readBytes(log.last.path)
            bytes.replaceSubrange(
                offset..<(offset + RecordFormat.headerSize), with: [UInt8](repeating: 0, count: RecordFormat.headerSize)
            )
            try writeBytes(bytes, to: log.last.path)
            try log.expectCorrupt(log.last.path, at: Int64(offset))
        }
    }

    @Test("a deleted middle segment is a gap naming the segment after it")
    func deletedMiddleSegment() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            try removeFile(log.segments[1].path)
            let error = log.open()
            #expect(error == .gap(file: log.segments[2].path, expected: 16, found: 31))
        }
    }

    @Test("an unknown format version is refused, in a segment, the hard state or the snapshot")
    func unknownVersions() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            var bytes = try readBytes(log.segments[2].path)
            bytes.replaceSubrange(0..<SegmentFile.headerSize, with: SegmentFile.header(firstIndex: 31, version: 1))
            try writeBytes(bytes, to: log.segments[2].path)
            #expect(
                log.open() == .unknownFormatVersion(file: log.segments[2].path, version: 1),
                "version 1 framed records with one checksum")
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            var bytes = try readBytes(log.last.path)
            bytes.replaceSubrange(0..<SegmentFile.headerSize, with: SegmentFile.header(firstIndex: 46, version: 9))
            try writeBytes(bytes, to: log.last.path)
            #expect(log.open() == .unknownFormatVersion(file: log.last.path, version: 9), "even in the last segment")
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/hardstate"
            try writeBytes(HardStateFile.encode(HardState(term: 1), commitHint: 0, version: 2), to: path)
            #expect(log.open() == .unknownFormatVersion(file: path, version: 2))
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/snapshot"
            try writeBytes(SnapshotFile.encode(Snapshot(lastIndex: 0, lastTerm: 0, data: []), version: 3), to: path)
            #expect(log.open() == .unknownFormatVersion(file: path, version: 3))
        }
    }

    @Test("a damaged hard state or snapshot is refused, naming file and offset")
    func damagedMetadata() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            try flipBit(in: directory + "/hardstate", at: 14)
            try log.expectCorrupt(directory + "/hardstate", at: Int64(HardStateFile.size - 4))
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/hardstate"
            try writeBytes(Array(try readBytes(path).prefix(30)), to: path)
            try log.expectCorrupt(path, at: 30)
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/snapshot"
            try flipBit(in: path, at: 36)  // the first data byte
            try log.expectCorrupt(path, at: Int64(SnapshotFile.fixedSize + 2 - 4))
        }
    }

    @Test("a flipped bit in the last record opens with damage reported up to a bound past it")
    func flippedBitInLastRecord() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = log.last.recordOffsets.last!
            try flipBit(in: log.last.path, at: offset + 30, bit: 1)
            let (_, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            let damage = try #require(recovered.damage)
            #expect(damage.file == log.last.path)
            #expect(damage.offset == offset)
            #expect(damage.possibleEnd >= 60, "index 60 may have been acknowledged")
            #expect(recovered.entries == entries(1...59, size: 40))
            #expect(try readBytes(log.last.path).count == Int(offset), "the damaged record is cut away")
        }
    }

    @Test("damage in the last record followed by other bytes is corruption, not a tail")
    func damageFollowedByData() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = log.last.recordOffsets.last!
            try flipBit(in: log.last.path, at: offset + 30, bit: 1)
            try writeBytes(try readBytes(log.last.path) + [0, 0, 1], to: log.last.path)
            try log.expectCorrupt(log.last.path, at: offset)
        }
    }

    @Test("a torn last record is cut away with a note")
    func tornLastRecord() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = log.last.recordOffsets.last!
            try writeBytes(Array(try readBytes(log.last.path).prefix(Int(offset) + 30)), to: log.last.path)
            let (storage, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.damage == nil)
            #expect(recovered.entries == entries(1...59, size: 40))
            #expect(recovered.notes.count == 1)
            #expect(recovered.notes.first?.contains(log.last.path) == true)
            #expect(recovered.notes.first?.contains("offset \(offset) (30 bytes)") == true, "\(recovered.notes)")
            try storage.append([entry(60, term: 2)])
            try storage.sync()
            #expect(
                try FileStorage.open(directory: directory, options: smallSegments()).1.entries.last
                    == entry(60, term: 2))
        }
    }

    @Test("a torn record within the commit hint is reported as damage")
    func tornCommittedRecord() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory, commitHint: 60)
            let offset = log.last.recordOffsets.last!
            try writeBytes(Array(try readBytes(log.last.path).prefix(Int(offset) + 3)), to: log.last.path)
            let (_, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.damage?.offset == offset)
            #expect(recovered.damage.map { $0.possibleEnd >= 60 } == true)
        }
    }

    @Test("a zero-filled tail is cut away with a note")
    func zeroFilledTail() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            try writeBytes(try readBytes(log.last.path) + [UInt8](repeating: 0, count: 4096), to: log.last.path)
            let (_, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.damage == nil)
            #expect(recovered.entries == entries(1...60, size: 40))
            #expect(recovered.notes.first?.contains("offset \(log.last.written)") == true)
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let offset = Int(log.last.recordOffsets[13])
            var bytes = try readBytes(log.last.path)
            bytes.replaceSubrange(offset..<bytes.count, with: [UInt8](repeating: 0, count: bytes.count - offset))
            try writeBytes(bytes, to: log.last.path)
            let (_, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.damage == nil)
            #expect(recovered.entries == entries(1...58, size: 40))
        }
    }

    @Test("a new last segment whose header is torn is deleted as a torn tail")
    func tornSegmentHeader() throws {
        try withTemporaryDirectory { directory in
            _ = try Fixture(directory: directory)
            let path = directory + "/" + SegmentFile.name(firstIndex: 61)
            try writeBytes(Array(SegmentFile.header(firstIndex: 61).prefix(10)), to: path)
            let (_, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
            #expect(recovered.damage == nil)
            #expect(recovered.entries.count == 60)
            #expect(recovered.notes.first?.contains(path) == true)
            #expect(!(try segmentFiles(in: directory).contains(SegmentFile.name(firstIndex: 61))))
        }
    }
}
