import SynodCore

/// What a log entry of the key-value store carries: a command, the client session
/// and sequence number that make it idempotent, and the leader's clock reading.
///
/// ```swift
/// let request = KVRequest(session: 7, sequence: 3, command: .put(key: "x", value: "5"), time: now)
/// let entry = LogEntry(term: term, index: index, data: request.encoded())
/// ```
public struct KVRequest: Hashable, Sendable {
    /// The client session (Idempotent Receiver); 0 for `openSession` and for requests
    /// outside any session, which are applied without deduplication.
    public var session: UInt64
    /// The client's request number within its session, starting at 1.
    public var sequence: UInt64
    public var command: KVCommand
    /// Stamped by the leader when it proposed the entry: the only clock the state
    /// machine sees, so that every replica expires sessions at the same entry.
    public var time: Instant

    public init(session: UInt64 = 0, sequence: UInt64 = 0, command: KVCommand, time: Instant) {
        self.session = session
        self.sequence = sequence
        self.command = command
        self.time = time
    }

    /// A request that opens a session.
    public static func openSession(time: Instant) -> KVRequest {
        KVRequest(command: .openSession, time: time)
    }
}

extension KVRequest {
    /// The format version written first; bumped when the layout changes.
    static let formatVersion: UInt8 = 1

    /// The bytes of a log entry: version, session, sequence, time, command.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 32)
        writer.writeByte(Self.formatVersion)
        writer.writeVarint(session)
        writer.writeVarint(sequence)
        writer.writeInteger(time.nanoseconds)
        command.encode(into: &writer)
        return writer.bytes
    }

    /// Decodes what `encoded()` wrote; throws on an unknown version, truncated or
    /// malformed input, or trailing bytes.
    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == Self.formatVersion else { throw .unknownVersion(version) }
        session = try reader.readVarint()
        sequence = try reader.readVarint()
        time = Instant(nanoseconds: try reader.readInteger(Int64.self))
        command = try KVCommand(from: &reader)
        try reader.expectEnd()
    }
}
