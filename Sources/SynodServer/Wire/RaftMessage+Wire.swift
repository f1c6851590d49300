import Raft
import SynodCore

/// The wire form of `RaftMessage`: a tag byte, then the fields in declaration order.
/// Terms, indexes, ids, rounds, offsets and counts are varints; flags are bool bytes;
/// optionals carry a presence byte; byte strings a varint length.
extension RaftMessage {
    /// The byte that opens each message, after the envelope's `from` and `to`.
    enum WireTag: UInt8, CaseIterable {
        case requestVote = 1
        case requestVoteResponse = 2
        case appendEntries = 3
        case appendEntriesResponse = 4
        case timeoutNow = 5
        case readIndexRequest = 6
        case readIndexResponse = 7
        case installSnapshot = 8
        case installSnapshotResponse = 9
    }

    var wireTag: WireTag {
        switch self {
        case .requestVote: .requestVote
        case .requestVoteResponse: .requestVoteResponse
        case .appendEntries: .appendEntries
        case .appendEntriesResponse: .appendEntriesResponse
        case .timeoutNow: .timeoutNow
        case .readIndexRequest: .readIndexRequest
        case .readIndexResponse: .readIndexResponse
        case .installSnapshot: .installSnapshot
        case .installSnapshotResponse: .installSnapshotResponse
        }
    }

    /// The encoded size, tag included; must agree with `writeWire(into:)`.
    var wireSize: Int {
        let v = WireSize.varint
        return switch self {
        case .requestVote(let m):
            1 + v(m.term.rawValue) + v(m.lastLogIndex.rawValue) + v(m.lastLogTerm.rawValue) + 2
        case .requestVoteResponse(let m):
            1 + v(m.term.rawValue) + 2
        case .appendEntries(let m):
            1 + v(m.term.rawValue) + v(m.prevLogIndex.rawValue) + v(m.prevLogTerm.rawValue)
                + v(m.leaderCommit.rawValue) + v(m.round) + WireSize.count(m.entries.count)
                + m.entries.reduce(0) { $0 + Self.wireSize(of: $1) }
        case .appendEntriesResponse(let m):
            1 + v(m.term.rawValue) + 1 + v(m.matchIndex.rawValue) + v(m.rejectedIndex.rawValue)
                + v(m.conflictIndex.rawValue) + 1 + (m.conflictTerm.map { v($0.rawValue) } ?? 0) + v(m.round)
        case .timeoutNow(let m):
            1 + v(m.term.rawValue)
        case .readIndexRequest(let m):
            1 + v(m.term.rawValue) + v(m.id)
        case .readIndexResponse(let m):
            1 + v(m.term.rawValue) + v(m.id) + 1 + (m.index.map { v($0.rawValue) } ?? 0)
        case .installSnapshot(let m):
            1 + v(m.term.rawValue) + v(m.lastIndex.rawValue) + v(m.lastTerm.rawValue) + WireSize.count(m.offset)
                + 1 + v(m.round) + WireSize.byteString(count: m.data.count)
        case .installSnapshotResponse(let m):
            1 + v(m.term.rawValue) + v(m.lastIndex.rawValue) + WireSize.count(m.received) + 1 + v(m.round)
        }
    }

    private static func wireSize(of entry: LogEntry) -> Int {
        WireSize.varint(entry.term.rawValue) + WireSize.varint(entry.index.rawValue) + 1
            + WireSize.byteString(count: entry.data.count)
    }

    func writeWire(into writer: inout BinaryWriter) {
        writer.writeByte(wireTag.rawValue)
        switch self {
        case .requestVote(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeVarint(m.lastLogIndex.rawValue)
            writer.writeVarint(m.lastLogTerm.rawValue)
            writer.writeBool(m.isPreVote)
            writer.writeBool(m.isTransfer)
        case .requestVoteResponse(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeBool(m.granted)
            writer.writeBool(m.isPreVote)
        case .appendEntries(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeVarint(m.prevLogIndex.rawValue)
            writer.writeVarint(m.prevLogTerm.rawValue)
            writer.writeVarint(m.leaderCommit.rawValue)
            writer.writeVarint(m.round)
            writer.writeCount(m.entries.count)
            for entry in m.entries {
                writer.writeVarint(entry.term.rawValue)
                writer.writeVarint(entry.index.rawValue)
                writer.writeByte(entry.kind.rawValue)
                writer.writeByteString(entry.data)
            }
        case .appendEntriesResponse(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeBool(m.success)
            writer.writeVarint(m.matchIndex.rawValue)
            writer.writeVarint(m.rejectedIndex.rawValue)
            writer.writeVarint(m.conflictIndex.rawValue)
            writer.writeOptional(m.conflictTerm) { $0.writeVarint($1.rawValue) }
            writer.writeVarint(m.round)
        case .timeoutNow(let m):
            writer.writeVarint(m.term.rawValue)
        case .readIndexRequest(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeVarint(m.id)
        case .readIndexResponse(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeVarint(m.id)
            writer.writeOptional(m.index) { $0.writeVarint($1.rawValue) }
        case .installSnapshot(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeVarint(m.lastIndex.rawValue)
            writer.writeVarint(m.lastTerm.rawValue)
            writer.writeCount(m.offset)
            writer.writeBool(m.done)
            writer.writeVarint(m.round)
            writer.writeByteString(m.data)
        case .installSnapshotResponse(let m):
            writer.writeVarint(m.term.rawValue)
            writer.writeVarint(m.lastIndex.rawValue)
            writer.writeCount(m.received)
            writer.writeBool(m.done)
            writer.writeVarint(m.round)
        }
    }

    /// Reads what `writeWire(into:)` wrote. An unknown tag throws `.unknownTag`; every
    /// other failure is a malformed body.
    init(wireReader reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let byte = try reader.readByte()
        guard let tag = WireTag(rawValue: byte) else { throw .unknownTag(byte, offset: start) }
        switch tag {
        case .requestVote:
            self = .requestVote(
                RequestVote(
                    term: try reader.readTerm(), lastLogIndex: try reader.readLogIndex(),
                    lastLogTerm: try reader.readTerm(), isPreVote: try reader.readBool(),
                    isTransfer: try reader.readBool()))
        case .requestVoteResponse:
            self = .requestVoteResponse(
                RequestVoteResponse(
                    term: try reader.readTerm(), granted: try reader.readBool(), isPreVote: try reader.readBool()))
        case .appendEntries:
            let term = try reader.readTerm()
            let prevLogIndex = try reader.readLogIndex()
            let prevLogTerm = try reader.readTerm()
            let leaderCommit = try reader.readLogIndex()
            let round = try reader.readVarint()
            // `readCount` bounds the count by the bytes left, and every entry takes at
            // least four, so the reservation is bounded by the frame actually received.
            let count = try reader.readCount()
            var entries: [LogEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                entries.append(try Self.readEntry(&reader))
            }
            self = .appendEntries(
                AppendEntries(
                    term: term, prevLogIndex: prevLogIndex, prevLogTerm: prevLogTerm, entries: entries,
                    leaderCommit: leaderCommit, round: round))
        case .appendEntriesResponse:
            var response = AppendEntriesResponse(
                term: try reader.readTerm(), success: try reader.readBool(), matchIndex: try reader.readLogIndex(),
                rejectedIndex: try reader.readLogIndex(), conflictIndex: try reader.readLogIndex(),
                conflictTerm: try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readTerm() })
            response.round = try reader.readVarint()
            self = .appendEntriesResponse(response)
        case .timeoutNow:
            self = .timeoutNow(TimeoutNow(term: try reader.readTerm()))
        case .readIndexRequest:
            self = .readIndexRequest(ReadIndexRequest(term: try reader.readTerm(), id: try reader.readVarint()))
        case .readIndexResponse:
            self = .readIndexResponse(
                ReadIndexResponse(
                    term: try reader.readTerm(), id: try reader.readVarint(),
                    index: try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readLogIndex() }
                ))
        case .installSnapshot:
            let term = try reader.readTerm()
            let lastIndex = try reader.readLogIndex()
            let lastTerm = try reader.readTerm()
            let offset = try reader.readNonNegativeInt("snapshot offset")
            let done = try reader.readBool()
            let round = try reader.readVarint()
            let data = try reader.readByteString()
            self = .installSnapshot(
                InstallSnapshot(
                    term: term, lastIndex: lastIndex, lastTerm: lastTerm, offset: offset, data: data[...], done: done,
                    round: round))
        case .installSnapshotResponse:
            self = .installSnapshotResponse(
                InstallSnapshotResponse(
                    term: try reader.readTerm(), lastIndex: try reader.readLogIndex(),
                    received: try reader.readNonNegativeInt("snapshot bytes received"), done: try reader.readBool(),
                    round: try reader.readVarint()))
        }
    }

    private static func readEntry(_ reader: inout BinaryReader) throws(BinaryDecodingError) -> LogEntry {
        let term = try reader.readTerm()
        let index = try reader.readLogIndex()
        let kindOffset = reader.offset
        let kindByte = try reader.readByte()
        guard let kind = LogEntry.Kind(rawValue: kindByte) else {
            throw .invalidValue("log entry kind \(kindByte)", offset: kindOffset)
        }
        return LogEntry(term: term, index: index, kind: kind, data: try reader.readByteString())
    }
}
