import SynodCore
import Testing

@testable import Storage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A server that may have lost acknowledged entries rejoins without a vote; the
/// `DIR/catchup` marker keeps it so across any number of crashes until it has caught up.
@Suite("Recovery: the pending catch-up survives restarts")
struct CatchUpTests {
    typealias Fixture = CorruptionTests.Fixture

    /// Flips a payload bit of the last record and opens: damage reported, tail cut.
    static func damageLastRecord(_ log: Fixture) throws -> (FileStorage, RecoveredState) {
        let segment = try #require(try segmentFiles(in: log.directory).last)
        let path = log.directory + "/" + segment
        let offset = try lastRecordOffset(in: path)
        try flipBit(in: path, at: offset + Int64(RecordFormat.headerSize) + 9, bit: 2)
        return try FileStorage.open(directory: log.directory, options: smallSegments())
    }

    /// Where the last record of a segment starts, read from its framing.
    static func lastRecordOffset(in path: String) throws -> Int64 {
        let bytes = try readBytes(path)
        var offset = SegmentFile.headerSize
        var last = offset
        while let payload = RecordFormat.intactPayload(in: bytes, at: offset) {
            last = offset
            offset = payload.upperBound
        }
        return Int64(last)
    }

    static func reopen(_ directory: String) throws -> RecoveredState {
        let (storage, recovered) = try FileStorage.open(directory: directory, options: smallSegments())
        storage.close()
        return recovered
    }

    @Test("an ambiguous tail stays reported at every reopen until clearCatchUp, then the log opens clean")
    func survivesRestartsUntilCleared() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let (storage, first) = try Self.damageLastRecord(log)
            storage.close()
            let damage = try #require(first.damage)
            #expect(damage.possibleEnd >= 60)
            #expect(try directoryNames(directory).contains(CatchUpFile.name))

            for _ in 0..<2 {
                let again = try Self.reopen(directory)
                #expect(again.damage == damage, "a second crash must not make the server a voter again")
                #expect(again.entries == entries(1...59, size: 40))
                #expect(again.notes.contains { $0.contains("catch-up pending") }, "\(again.notes)")
            }

            let (reopened, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try reopened.clearCatchUp()
            try reopened.clearCatchUp()  // nothing left to remove: no error
            reopened.close()
            let cleared = try Self.reopen(directory)
            #expect(cleared.damage == nil)
            #expect(cleared.notes.isEmpty, "\(cleared.notes)")
            #expect(!(try directoryNames(directory).contains(CatchUpFile.name)))
        }
    }

    @Test("a second ambiguous tail merges: the larger bound and term, the newer place and reason")
    func secondDamageMerges() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let (storage, first) = try Self.damageLastRecord(log)
            let firstEnd = try #require(first.damage).possibleEnd
            // The leader's log differs from index 30 on: a shorter log, then new damage.
            try storage.truncate(from: 30)
            try storage.append(entries(30...35, term: 3, size: 40))
            try storage.saveHardState(HardState(term: 3, votedFor: 2), commitHint: 0)
            storage.close()

            let (again, second) = try Self.damageLastRecord(log)
            again.close()
            let damage = try #require(second.damage)
            let segment = directory + "/" + (try segmentFiles(in: directory).last!)
            #expect(damage.possibleEnd == firstEnd, "max of \(firstEnd) and the new, smaller bound")
            #expect(damage.file == segment)
            #expect(damage.offset == (try Self.lastRecordOffset(in: segment)) + 70, "the newer damage's place")
            #expect(second.entries == entries(1...29, size: 40) + entries(30...34, term: 3, size: 40))
            let report = FileStorage.inspect(directory: directory)
            #expect(report.catchUp?.term == 3)
            #expect(report.catchUp?.possibleEnd == firstEnd)

            // A larger new bound wins.
            let (grown, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try grown.append(entries(35...(firstEnd.rawValue + 20), term: 3, size: 40))
            try grown.sync()
            grown.close()
            let (_, third) = try Self.damageLastRecord(log)
            #expect(third.damage.map { $0.possibleEnd >= firstEnd.advanced(by: 20) } == true)
        }
    }

    @Test("a crash after the marker is written but before the cut recovers the same way")
    func crashBeforeTheCut() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            var options = smallSegments()
            options.systemCalls.ftruncate = { _, _ in -EIO }
            let path = log.last.path
            try flipBit(in: path, at: log.last.recordOffsets.last! + 30, bit: 4)
            let error = storageError { () throws(StorageError) in
                _ = try FileStorage.open(directory: directory, options: options)
            }
            #expect(error == .io(file: path, operation: "ftruncate", errno: EIO))
            #expect(try directoryNames(directory).contains(CatchUpFile.name), "the marker comes first")

            let recovered = try Self.reopen(directory)
            #expect(recovered.damage?.offset == log.last.recordOffsets.last!)
            #expect(recovered.damage.map { $0.possibleEnd >= 60 } == true)
            #expect(recovered.entries == entries(1...59, size: 40))
        }
    }

    @Test("a damaged or unknown catch-up marker is refused, naming the file")
    func damagedMarker() throws {
        let marker = CatchUpFile.Marker(
            possibleEnd: 61, term: 1, file: SegmentFile.name(firstIndex: 46), offset: 1004, reason: "test")
        let size = CatchUpFile.encode(marker).count
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/" + CatchUpFile.name
            try writeBytes(CatchUpFile.encode(marker), to: path)
            #expect(try Self.reopen(directory).damage?.possibleEnd == 61, "a sound marker reads back")
            try flipBit(in: path, at: 14)
            try log.expectCorrupt(path, at: Int64(size - 4))
            let report = FileStorage.inspect(directory: directory)
            #expect(!report.isClean)
            #expect(report.findings.map(\.file) == [CatchUpFile.name])
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/" + CatchUpFile.name
            try writeBytes(Array(CatchUpFile.encode(marker).prefix(20)), to: path)
            try log.expectCorrupt(path, at: 20)
        }
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let path = directory + "/" + CatchUpFile.name
            try writeBytes(CatchUpFile.encode(marker, version: 2), to: path)
            #expect(log.open() == .unknownFormatVersion(file: path, version: 2))
        }
    }

    @Test("inspection shows a pending catch-up as a line, not as damage")
    func inspectionShowsPendingCatchUp() throws {
        try withTemporaryDirectory { directory in
            let log = try Fixture(directory: directory)
            let (storage, recovered) = try Self.damageLastRecord(log)
            storage.close()
            let possibleEnd = try #require(recovered.damage).possibleEnd
            let report = FileStorage.inspect(directory: directory)
            #expect(report.isClean, "\(report.findings)")
            #expect(report.catchUp?.possibleEnd == possibleEnd)
            #expect(report.catchUp?.file == SegmentFile.name(firstIndex: 46))
            let text = report.render()
            #expect(text.contains("catch-up pending: entries up to \(possibleEnd) may be lost"), "\(text)")
            #expect(!text.contains("NOT CLEAN"))
        }
    }
}
