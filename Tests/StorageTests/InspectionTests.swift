import SynodCore
import Testing

@testable import Storage

@Suite("Inspection")
struct InspectionTests {
    @Test("a clean directory inspects clean, listing its segments")
    func clean() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...40, size: 40))
            try storage.saveHardState(HardState(term: 4, votedFor: 3), commitHint: 12)
            try storage.saveSnapshot(Snapshot(lastIndex: 20, lastTerm: 1, data: [1, 2, 3, 4]))
            let report = FileStorage.inspect(directory: directory)
            #expect(report.isClean, "\(report.findings)")
            #expect(report.hardState == HardState(term: 4, votedFor: 3))
            #expect(report.commitHint == 12)
            #expect(report.snapshot == .init(lastIndex: 20, lastTerm: 1, bytes: 4))
            #expect(report.segments.map(\.file) == (try segmentFiles(in: directory)))
            #expect(report.segments.last?.lastIndex == 40)
            #expect(
                report.segments.map(\.recordCount).reduce(0, +) == 40 - Int(report.segments[0].firstIndex.rawValue) + 1)
            let text = report.render()
            #expect(text.contains("00000000000000000016.wal"))
            #expect(text.contains("clean"))
            #expect(!text.contains("NOT CLEAN"))
        }
    }

    @Test("a flipped byte in an old segment is a finding naming the file and offset; nothing is changed")
    func flippedByteInOldSegment() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...60, size: 40))
            try storage.sync()
            let old = storage.segmentStates()[1]
            storage.close()
            let offset = old.recordOffsets[4]
            try flipBit(in: old.path, at: offset + 25, bit: 5)
            let before = try directoryNames(directory).map { try readBytes(directory + "/" + $0) }

            let report = FileStorage.inspect(directory: directory)
            #expect(!report.isClean)
            let name = SegmentFile.name(firstIndex: 16)
            #expect(
                report.findings == [
                    .init(
                        file: name, offset: offset, reason: "record payload checksum mismatch, and data follows it",
                        verdict: .corrupt)
                ])
            #expect(report.render().contains(name))
            #expect(report.render().contains("\(offset)"))
            #expect(report.render().contains("NOT CLEAN"))
            #expect(try directoryNames(directory).map { try readBytes(directory + "/" + $0) } == before)
        }
    }

    @Test("a torn tail, a gap and an unknown version are findings with recovery's verdicts")
    func verdicts() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments())
            try storage.append(entries(1...60, size: 40))
            try storage.sync()
            let segments = storage.segmentStates()
            storage.close()
            let last = segments[3]
            try writeBytes(Array(try readBytes(last.path).dropLast(5)), to: last.path)
            var findings = FileStorage.inspect(directory: directory).findings
            #expect(findings.map(\.verdict) == [.tornTail])
            #expect(findings.first?.offset == last.recordOffsets.last)

            try removeFile(segments[1].path)
            var header = try readBytes(segments[2].path)
            header.replaceSubrange(0..<SegmentFile.headerSize, with: SegmentFile.header(firstIndex: 31, version: 7))
            try writeBytes(header, to: segments[2].path)
            findings = FileStorage.inspect(directory: directory).findings
            #expect(findings.map(\.verdict) == [.corrupt, .corrupt, .tornTail], "\(findings)")
            #expect(findings[0].file == SegmentFile.name(firstIndex: 31) && findings[0].reason.contains("expected"))
            #expect(findings[1].reason.contains("version 7"))
        }
    }

    @Test("a missing directory is a finding, not a crash")
    func missingDirectory() {
        let report = FileStorage.inspect(directory: "/nonexistent/synod-wal")
        #expect(!report.isClean)
    }
}
