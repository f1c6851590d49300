import SynodCore

/// Segmented Log: the Write-Ahead Log is split into files named after their first index
/// (`00000000000000000001.wal`), so that a Low-Water Mark can drop old entries by
/// deleting whole files. Each segment opens with a header (magic, format version, first
/// index, CRC32C of the header) and then holds records back to back.
enum SegmentFile {
    static let magic: [UInt8] = Array("SYNODWAL".utf8)
    /// 2: records carry a checksum of their length apart from their payload's (version 1
    /// covered both with one checksum, so a flipped length bit looked like a torn write).
    static let formatVersion: UInt32 = 2
    /// Magic, version, first index, checksum.
    static let headerSize = 8 + 4 + 8 + 4
    static let suffix = ".wal"

    /// `DIR/<20-digit zero-padded first index>.wal`: names sort in index order.
    static func name(firstIndex: LogIndex) -> String {
        let digits = String(firstIndex.rawValue)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// The first index a segment's name stands for, or nil for any other file.
    static func firstIndex(fromName name: String) -> LogIndex? {
        guard name.hasSuffix(suffix) else { return nil }
        let digits = name.dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits).map { LogIndex($0) }
    }

    static func header(firstIndex: LogIndex, version: UInt32 = formatVersion) -> [UInt8] {
        var bytes = magic
        appendInteger(version, to: &bytes)
        appendInteger(firstIndex.rawValue, to: &bytes)
        appendInteger(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }
}

/// What reading one segment found: its good records and, at most, the first problem. A
/// pure function of the file's bytes, shared by recovery (which acts on it) and
/// inspection (which only reports it).
struct SegmentScan: Sendable {
    /// The first problem met; reading stops there.
    enum Problem: Sendable, Equatable {
        /// A damaged record (or header, at offset 0), to be judged by `classifyDamage`.
        case damage(RecordDamage, validRecordsFollow: Bool, reason: String)
        /// A record whose checksum matches but whose content breaks the log's rules:
        /// always corruption.
        case invalid(reason: String)
        /// A header written by another format version.
        case unknownVersion(UInt32)
    }

    var fileName: String
    var firstIndex: LogIndex
    var fileSize: Int64
    var entries: [LogEntry] = []
    /// The start of each good record.
    var recordOffsets: [Int64] = []
    /// Where the good records end (the header's end when there are none).
    var goodEnd: Int64 = 0
    /// The offset of the problem and what it is.
    var problem: (offset: Int64, kind: Problem)?

    /// True when the header itself is unreadable, so the whole file is in doubt.
    var headerDamaged: Bool { problem?.offset == 0 }

    /// The last good index, or `firstIndex - 1` when there is no good record.
    var lastIndex: LogIndex { LogIndex(firstIndex.rawValue + UInt64(entries.count)).advanced(by: -1) }

    /// Reads `bytes`, the content of segment `fileName` (whose name gives its first index).
    static func scan(_ bytes: [UInt8], fileName: String, firstIndex: LogIndex, maxRecordSize: Int) -> SegmentScan {
        var scan = SegmentScan(fileName: fileName, firstIndex: firstIndex, fileSize: Int64(bytes.count))
        guard scan.readHeader(bytes) else { return scan }
        var offset = SegmentFile.headerSize
        scan.goodEnd = Int64(offset)
        while offset < bytes.count {
            switch scan.readRecord(bytes, at: offset, maxRecordSize: maxRecordSize) {
            case .record(let entry, let end):
                scan.entries.append(entry)
                scan.recordOffsets.append(Int64(offset))
                offset = end
                scan.goodEnd = Int64(end)
            case .problem(let problem):
                scan.problem = (Int64(offset), problem)
                return scan
            }
        }
        return scan
    }

    private mutating func readHeader(_ bytes: [UInt8]) -> Bool {
        let size = SegmentFile.headerSize
        let dataEnd = (bytes.lastIndex { $0 != 0 } ?? -1) + 1
        if bytes.count < size {
            let kind: RecordDamage = dataEnd == 0 ? .zeroFilled : .incomplete
            problem = (0, .damage(kind, validRecordsFollow: false, reason: "segment header is incomplete"))
            return false
        }
        if dataEnd < size {
            // The header's end is zeros through the end of the file: its write never completed.
            problem = (0, .damage(.zeroFilled, validRecordsFollow: false, reason: "segment header is zero-filled"))
            return false
        }
        let follows = !isZero(bytes, from: size)
        guard Array(bytes[0..<8]) == SegmentFile.magic else {
            problem = (0, .damage(.checksumMismatch, validRecordsFollow: follows, reason: "bad segment magic"))
            return false
        }
        let version = readInteger(UInt32.self, from: bytes, at: 8)
        guard version == SegmentFile.formatVersion || version == 0 else {
            problem = (0, .unknownVersion(version))
            return false
        }
        guard version != 0, readInteger(UInt32.self, from: bytes, at: 20) == CRC32C.checksum(bytes[0..<20]) else {
            let reason = "segment header checksum mismatch"
            problem = (0, .damage(.checksumMismatch, validRecordsFollow: follows, reason: reason))
            return false
        }
        let headerIndex = LogIndex(readInteger(UInt64.self, from: bytes, at: 12))
        guard headerIndex == firstIndex else {
            problem = (0, .invalid(reason: "header says first index \(headerIndex), the file name \(firstIndex)"))
            return false
        }
        return true
    }

    private enum RecordRead {
        case record(LogEntry, end: Int)
        case problem(Problem)
    }

    /// Reads the record at `offset`. The length is believed only once its own checksum
    /// matches; so a record that runs past the end of the file is a write that never
    /// completed (bit rot does not shorten files), while a damaged length is a checksum
    /// mismatch, never a torn write.
    private func readRecord(_ bytes: [UInt8], at offset: Int, maxRecordSize: Int) -> RecordRead {
        let fileEnd = bytes.count
        if isZero(bytes, from: offset) {
            return .problem(.damage(.zeroFilled, validRecordsFollow: false, reason: "zero-filled tail"))
        }
        guard fileEnd - offset >= RecordFormat.headerSize else {
            return .problem(.damage(.incomplete, validRecordsFollow: false, reason: "record header cut short"))
        }
        let header = RecordFormat.header(in: bytes, at: offset)
        let payloadStart = offset + RecordFormat.headerSize
        if bytes[offset..<payloadStart].allSatisfy({ $0 == 0 }) {
            // Zeros, then data: not a write that stopped short. Any byte after counts as
            // following data (the cautious reading: a torn verdict would cut silently).
            return .problem(
                .damage(.zeroFilled, validRecordsFollow: true, reason: "zero-filled record header before data"))
        }
        guard header.lengthIsIntact else {
            // Where this record ends is unknown, so look for any intact record after its
            // header: only then is the damage known to be inside the log.
            let follows = Self.intactRecordExists(in: bytes, from: payloadStart)
            return .problem(
                .damage(.checksumMismatch, validRecordsFollow: follows, reason: "record length checksum mismatch"))
        }
        let length = Int(header.length)
        guard length >= RecordFormat.minimumPayloadSize, length <= maxRecordSize else {
            return .problem(.invalid(reason: "record length \(length) is out of range"))
        }
        let end = payloadStart + length
        guard end <= fileEnd else {
            return .problem(
                .damage(
                    .incomplete, validRecordsFollow: false,
                    reason: "record cut short (\(length) bytes claimed, \(fileEnd - payloadStart) present)"))
        }
        guard header.payloadChecksum == CRC32C.checksum(bytes[payloadStart..<end]) else {
            let follows = !isZero(bytes, from: end)
            return .problem(
                .damage(.checksumMismatch, validRecordsFollow: follows, reason: "record payload checksum mismatch"))
        }
        guard let entry = RecordFormat.decodePayload(bytes[payloadStart..<end]) else {
            return .problem(.invalid(reason: "record payload is malformed"))
        }
        let expected = LogIndex(firstIndex.rawValue + UInt64(entries.count))
        guard entry.index == expected else {
            return .problem(.invalid(reason: "record holds index \(entry.index), expected \(expected)"))
        }
        return .record(entry, end: end)
    }

    /// True when a record with both checksums intact starts at some offset from `start` on.
    /// - Complexity: O(n): one four-byte checksum per offset, a payload checksum only
    ///   where a length checksum matches.
    private static func intactRecordExists(in bytes: [UInt8], from start: Int) -> Bool {
        var offset = start
        while bytes.count - offset >= RecordFormat.minimumRecordSize {
            if RecordFormat.intactPayload(in: bytes, at: offset) != nil { return true }
            offset += 1
        }
        return false
    }
}

/// True when every byte from `start` to the end is zero (or there is none).
func isZero(_ bytes: [UInt8], from start: Int) -> Bool {
    guard start < bytes.count else { return true }
    return bytes[start...].allSatisfy { $0 == 0 }
}
