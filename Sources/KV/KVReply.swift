import SynodCore

/// The state machine's answer to one request. A session keeps the reply to its last
/// request, so a retry is answered with the very same value (Idempotent Receiver).
public enum KVReply: Hashable, Sendable {
    /// The answer to `get`: the value, and its version (the log index of the key's
    /// last write); both `nil` when the key is absent (Versioned Value).
    case value(ByteString?, version: LogIndex?)
    /// The answer to `put` and `delete`.
    case done
    /// The answer to `cas`; `current` is the key's value after the operation: `to`
    /// when it succeeded, the unchanged value when it did not.
    case cas(succeeded: Bool, current: ByteString?)
    /// The answer to `openSession`: the new session's id, the index of its entry.
    case sessionOpened(id: UInt64)
    /// The session is unknown or expired; the client must open a new one.
    case sessionExpired
    /// The sequence is older than the session's last applied one: the client already
    /// moved on, and that request's reply is gone.
    case outOfOrder
    /// A number: the sum after `increment`, the new length after `append`, how many
    /// keys existed for `remove`.
    case integer(Int64)
    /// The answer to `putIf`: whether the condition held and the value was written.
    case applied(Bool)
    /// The command was refused and changed nothing.
    case failed(KVFailure)
}

/// Why the state machine refused a command. Raw values are the wire encoding.
public enum KVFailure: UInt8, Hashable, Sendable, CaseIterable {
    /// `increment` found a value that is not the canonical decimal form of an `Int64`.
    case notAnInteger = 1
    /// `increment` would have gone past `Int64.min` or `Int64.max`.
    case overflow = 2
}

extension KVReply {
    private enum Tag: UInt8 {
        case value = 1
        case done = 2
        case cas = 3
        case sessionOpened = 4
        case sessionExpired = 5
        case outOfOrder = 6
        case integer = 7
        case applied = 8
        case failed = 9
    }

    /// The format version written first; bumped when the layout changes.
    static let formatVersion: UInt8 = 1

    /// The bytes sent back to a client: the format version, then the reply.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 16)
        writer.writeByte(Self.formatVersion)
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes what `encoded()` wrote; throws on an unknown version, truncated or
    /// malformed input, or trailing bytes.
    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == Self.formatVersion else { throw .unknownVersion(version) }
        try self.init(from: &reader)
        try reader.expectEnd()
    }

    func encode(into writer: inout BinaryWriter) {
        switch self {
        case .value(let value, let version):
            writer.writeByte(Tag.value.rawValue)
            writer.writeOptional(value) { $0.writeByteString($1.bytes) }
            writer.writeOptional(version) { $0.writeVarint($1.rawValue) }
        case .done:
            writer.writeByte(Tag.done.rawValue)
        case .cas(let succeeded, let current):
            writer.writeByte(Tag.cas.rawValue)
            writer.writeBool(succeeded)
            writer.writeOptional(current) { $0.writeByteString($1.bytes) }
        case .sessionOpened(let id):
            writer.writeByte(Tag.sessionOpened.rawValue)
            writer.writeVarint(id)
        case .sessionExpired:
            writer.writeByte(Tag.sessionExpired.rawValue)
        case .outOfOrder:
            writer.writeByte(Tag.outOfOrder.rawValue)
        case .integer(let value):
            writer.writeByte(Tag.integer.rawValue)
            writer.writeInteger(value)
        case .applied(let applied):
            writer.writeByte(Tag.applied.rawValue)
            writer.writeBool(applied)
        case .failed(let failure):
            writer.writeByte(Tag.failed.rawValue)
            writer.writeByte(failure.rawValue)
        }
    }

    init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let byte = try reader.readByte()
        guard let tag = Tag(rawValue: byte) else { throw .unknownTag(byte, offset: start) }
        switch tag {
        case .value:
            let value = try reader.readOptional { reader throws(BinaryDecodingError) in
                ByteString(try reader.readByteString())
            }
            let version = try reader.readOptional { reader throws(BinaryDecodingError) in
                LogIndex(try reader.readVarint())
            }
            self = .value(value, version: version)
        case .done:
            self = .done
        case .cas:
            let succeeded = try reader.readBool()
            let current = try reader.readOptional { reader throws(BinaryDecodingError) in
                ByteString(try reader.readByteString())
            }
            self = .cas(succeeded: succeeded, current: current)
        case .sessionOpened:
            self = .sessionOpened(id: try reader.readVarint())
        case .sessionExpired:
            self = .sessionExpired
        case .outOfOrder:
            self = .outOfOrder
        case .integer:
            self = .integer(try reader.readInteger(Int64.self))
        case .applied:
            self = .applied(try reader.readBool())
        case .failed:
            let offset = reader.offset
            let byte = try reader.readByte()
            guard let failure = KVFailure(rawValue: byte) else {
                throw .invalidValue("failure \(byte)", offset: offset)
            }
            self = .failed(failure)
        }
    }
}
