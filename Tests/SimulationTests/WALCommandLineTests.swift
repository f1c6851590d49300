import Foundation
import SynodTestSupport
import Testing

/// `synod bench wal` and `synod wal inspect` as an operator uses them: a tiny bench
/// leaves a real WAL behind, inspect finds it clean, and one flipped byte in an old
/// segment is found and named down to the file and the record's offset.
@Suite struct WALCommandLineTests {
    static func synod(_ arguments: [String]) throws -> SynodOutcome {
        let binary = try #require(SynodProcess.binary, Comment(rawValue: SynodProcess.missingBinaryMessage))
        return try SynodProcess.run(binary, arguments)
    }

    static func describe(_ arguments: [String], _ outcome: SynodOutcome) -> Comment {
        "synod \(arguments.joined(separator: " ")) exited \(outcome.status)\n\(outcome.output)\(outcome.errors)"
    }

    /// A fresh directory for one test; the caller removes it.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("synod-wal-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aTinyBenchLeavesAWALThatInspectsCleanUntilAByteOfAnOldSegmentFlips() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let wal = root.appendingPathComponent("wal")

        let bench = ["bench", "wal", "--dir", wal.path, "--seconds", "0.2", "--records", "300"]
        let benchOutcome = try Self.synod(bench)
        #expect(benchOutcome.status == 0, Self.describe(bench, benchOutcome))
        for label in [
            "raw floor", "WAL, 1 appender", "WAL, 8 appenders", "WAL, 64 appenders", "1 appender p50 / raw p50",
            "64 appenders rate / 1 appender rate",
        ] {
            #expect(
                benchOutcome.lines.contains { $0.hasPrefix(label) },
                "no row \(label)\n\(Self.describe(bench, benchOutcome))")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: wal.path)
        #expect(!left.contains { $0.hasPrefix("raw-floor") || $0.hasPrefix("bench-") }, "left behind: \(left)")
        let segments = try Self.segments(in: wal)
        try #require(segments.count >= 2, "the bench should leave several segments, found \(left.sorted())")

        let inspect = ["wal", "inspect", wal.path]
        let clean = try Self.synod(inspect)
        #expect(clean.status == 0, Self.describe(inspect, clean))

        // Flip one byte inside the middle record of the first segment: synced data
        // followed by more synced data, which recovery must never cut away.
        let old = segments[0]
        var bytes = try Data(contentsOf: old)
        let records = Self.recordOffsets(in: bytes)
        try #require(records.count >= 3, "\(old.lastPathComponent) holds \(records.count) records")
        let recordOffset = records[records.count / 2]
        bytes[recordOffset + Self.recordHeaderSize + 4] ^= 0xFF
        try bytes.write(to: old)

        let damaged = try Self.synod(inspect)
        #expect(damaged.status == 1, Self.describe(inspect, damaged))
        // The finding's row: file, offset, verdict, reason.
        let finding = damaged.lines.first { line in
            let fields = line.split(separator: " ")
            return fields.first == Substring(old.lastPathComponent) && fields.contains("\(recordOffset)")
                && line.contains("corrupt")
        }
        #expect(
            finding != nil,
            "no finding names \(old.lastPathComponent) at offset \(recordOffset)\n\(Self.describe(inspect, damaged))")
    }

    @Test func inspectingAMissingDirectoryOrAFileExitsTwo() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("file")
        try Data("not a WAL".utf8).write(to: file)
        for path in [root.appendingPathComponent("missing").path, file.path] {
            let arguments = ["wal", "inspect", path]
            let outcome = try Self.synod(arguments)
            #expect(outcome.status == 2, Self.describe(arguments, outcome))
            #expect(outcome.errors.contains(path), Self.describe(arguments, outcome))
            #expect(outcome.output.isEmpty, Self.describe(arguments, outcome))
        }
    }

    @Test func badBenchArgumentsExitTwoAndWriteNothing() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let busy = root.appendingPathComponent("busy")
        try FileManager.default.createDirectory(at: busy, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: busy.appendingPathComponent("precious"))
        let file = root.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let cases: [[String]] = [
            ["bench", "wal", "--seconds", "0"],
            ["bench", "wal", "--seconds", "-1"],
            ["bench", "wal", "--records", "0"],
            ["bench", "wal", "--records", "many"],
            ["bench", "wal", "--segment-size", "100"],
            ["bench", "wal", "--dir", busy.path, "--seconds", "0.01"],
            ["bench", "wal", "--dir", file.path, "--seconds", "0.01"],
        ]
        for arguments in cases {
            let outcome = try Self.synod(arguments)
            #expect(outcome.status == 2, Self.describe(arguments, outcome))
            #expect(!outcome.errors.isEmpty, Self.describe(arguments, outcome))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: busy.path) == ["precious"])
    }
}

extension WALCommandLineTests {
    /// Segment files (`<20-digit first index>.wal`), in index order.
    static func segments(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".wal") && $0.count == 24 && $0.prefix(20).allSatisfy(\.isNumber) }
            .sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// Magic (8 bytes), format version (4), first index (8), CRC32C (4).
    static let segmentHeaderSize = 24
    /// Length (4 bytes, little-endian, of the payload that follows), CRC32C of the length
    /// (4), CRC32C of the payload (4).
    static let recordHeaderSize = 12

    /// The offset of each whole record of a segment, read from its length fields the way
    /// the storage frames them (see Sources/Storage/RecordFormat.swift).
    static func recordOffsets(in bytes: Data) -> [Int] {
        let bytes = [UInt8](bytes)
        var offsets: [Int] = []
        var offset = segmentHeaderSize
        while offset + recordHeaderSize <= bytes.count {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            let end = offset + recordHeaderSize + length
            guard length > 0, end <= bytes.count else { break }
            offsets.append(offset)
            offset = end
        }
        return offsets
    }
}
