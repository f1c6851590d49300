import Raft
import SynodCore

extension PeerFrame {
    /// Appends this frame (length prefix, kind, body) to `buffer`.
    ///
    /// The frame is sized first and written in one pass into an exactly reserved
    /// array, with no array per log entry; into an empty `buffer` it is moved, not copied.
    ///
    /// ```swift
    /// var out: [UInt8] = []
    /// for envelope in outbox { PeerFrame.raft(envelope).encode(into: &out) }
    /// ```
    ///
    /// - Complexity: O(n) in the encoded size.
    public func encode(into buffer: inout [UInt8]) {
        let frame = encoded()
        if buffer.isEmpty {
            buffer = frame
        } else {
            buffer.append(contentsOf: frame)
        }
    }

    /// This frame's bytes: length prefix, kind, body.
    public func encoded() -> [UInt8] {
        let size = encodedSize
        let length = size - 4
        precondition(length <= Int(UInt32.max), "a peer frame of \(length) bytes does not fit its length prefix")
        var writer = BinaryWriter(reservingCapacity: size)
        writer.writeInteger(UInt32(length))
        writer.writeByte(kind.rawValue)
        writeBody(into: &writer)
        assert(writer.bytes.count == size, "PeerFrame.encodedSize disagrees with the encoding")
        return writer.bytes
    }

    /// How many bytes `encode(into:)` appends: the 5-byte header plus the body. A peer
    /// refuses a frame whose size minus 4 exceeds its `PeerFrameDecoder.maxFrameSize`.
    public var encodedSize: Int {
        switch self {
        case .hello(let hello):
            Self.headerSize + 2 + WireSize.string(hello.clusterID) + WireSize.nodeID(hello.from)
                + WireSize.nodeID(hello.to)
        case .refused(let reason):
            Self.headerSize + WireSize.string(reason)
        case .raft(let envelope):
            Self.headerSize + WireSize.nodeID(envelope.from) + WireSize.nodeID(envelope.to)
                + envelope.message.wireSize
        case .forward(let id, let bytes):
            Self.headerSize + WireSize.varint(id) + WireSize.byteString(count: bytes.count)
        case .forwardReply(let session, let id, let bytes):
            Self.headerSize + WireSize.varint(session) + WireSize.varint(id) + WireSize.byteString(count: bytes.count)
        }
    }

    private func writeBody(into writer: inout BinaryWriter) {
        switch self {
        case .hello(let hello):
            writer.writeInteger(hello.protocolVersion)
            writer.writeString(hello.clusterID)
            writer.writeNodeID(hello.from)
            writer.writeNodeID(hello.to)
        case .refused(let reason):
            writer.writeString(reason)
        case .raft(let envelope):
            writer.writeNodeID(envelope.from)
            writer.writeNodeID(envelope.to)
            envelope.message.writeWire(into: &writer)
        case .forward(let id, let bytes):
            writer.writeVarint(id)
            writer.writeByteString(bytes)
        case .forwardReply(let session, let id, let bytes):
            writer.writeVarint(session)
            writer.writeVarint(id)
            writer.writeByteString(bytes)
        }
    }
}

/// The encoded sizes of the field types `BinaryWriter` writes, for sizing a frame
/// before writing it.
enum WireSize {
    static func varint(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    static func nodeID(_ id: NodeID) -> Int { varint(UInt64(id.rawValue)) }

    static func count(_ value: Int) -> Int { varint(UInt64(value)) }

    static func byteString(count: Int) -> Int { varint(UInt64(count)) + count }

    static func string(_ value: String) -> Int { byteString(count: value.utf8.count) }
}

extension BinaryWriter {
    mutating func writeNodeID(_ id: NodeID) {
        writeVarint(UInt64(id.rawValue))
    }

    /// Writes a non-negative `Int` (a byte offset or count) as a varint.
    mutating func writeCount(_ value: Int) {
        precondition(value >= 0, "a negative count or offset (\(value)) has no wire form")
        writeVarint(UInt64(value))
    }
}

extension BinaryReader {
    /// The largest term, index or offset the wire accepts, so that a peer cannot hand
    /// the core a value whose arithmetic traps (`Term.next`, `LogIndex.advanced(by:)`,
    /// an offset plus a chunk's length): 2⁶² leaves room for any step the core takes.
    static let wireValueLimit: UInt64 = 1 << 62

    mutating func readNodeID() throws(BinaryDecodingError) -> NodeID {
        let start = offset
        let raw = try readVarint()
        guard raw > 0, raw <= Self.wireValueLimit else {
            throw .invalidValue("node id \(raw) (ids are 1...\(Self.wireValueLimit))", offset: start)
        }
        return NodeID(Int(raw))
    }

    mutating func readTerm() throws(BinaryDecodingError) -> Term {
        Term(try readBounded("term"))
    }

    mutating func readLogIndex() throws(BinaryDecodingError) -> LogIndex {
        LogIndex(try readBounded("log index"))
    }

    /// Reads a non-negative `Int` (a byte offset or count) written by `writeCount`.
    mutating func readNonNegativeInt(_ what: String) throws(BinaryDecodingError) -> Int {
        Int(try readBounded(what))
    }

    private mutating func readBounded(_ what: String) throws(BinaryDecodingError) -> UInt64 {
        let start = offset
        let raw = try readVarint()
        guard raw <= Self.wireValueLimit else {
            throw .invalidValue("\(what) \(raw) exceeds \(Self.wireValueLimit)", offset: start)
        }
        return raw
    }
}
