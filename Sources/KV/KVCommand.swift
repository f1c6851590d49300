import SynodCore

/// An operation on the key-value store, carried in a log entry. Absent is a value
/// of its own (`nil`), so `cas` can create (`from: nil`) and delete (`to: nil`).
public enum KVCommand: Hashable, Sendable {
    /// Writes `value` under `key`.
    case put(key: String, value: String)
    /// Reads `key`; through the log, this is a linearizable read.
    case get(key: String)
    /// Removes `key`; deleting an absent key succeeds and changes nothing.
    case delete(key: String)
    /// Compare-and-swap: writes `to` if the current value equals `from`.
    case cas(key: String, from: String?, to: String?)
    /// Appends `suffix` to the current value, an absent key counting as empty.
    case append(key: String, suffix: String)
    /// Registers a client session; its id is the index of this entry.
    case openSession

    /// The key the command touches, if any.
    public var key: String? {
        switch self {
        case .put(let key, _), .get(let key), .delete(let key), .cas(let key, _, _), .append(let key, _): key
        case .openSession: nil
        }
    }
}

extension KVCommand {
    private enum Tag: UInt8 {
        case put = 1
        case get = 2
        case delete = 3
        case cas = 4
        case append = 5
        case openSession = 6
    }

    func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let key, let value):
            writer.writeByte(Tag.put.rawValue)
            writer.writeString(key)
            writer.writeString(value)
        case .get(let key):
            writer.writeByte(Tag.get.rawValue)
            writer.writeString(key)
        case .delete(let key):
            writer.writeByte(Tag.delete.rawValue)
            writer.writeString(key)
        case .cas(let key, let from, let to):
            writer.writeByte(Tag.cas.rawValue)
            writer.writeString(key)
            writer.writeOptional(from) { $0.writeString($1) }
            writer.writeOptional(to) { $0.writeString($1) }
        case .append(let key, let suffix):
            writer.writeByte(Tag.append.rawValue)
            writer.writeString(key)
            writer.writeString(suffix)
        case .openSession:
            writer.writeByte(Tag.openSession.rawValue)
        }
    }

    init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let byte = try reader.readByte()
        guard let tag = Tag(rawValue: byte) else { throw .unknownTag(byte, offset: start) }
        switch tag {
        case .put:
            self = .put(key: try reader.readString(), value: try reader.readString())
        case .get:
            self = .get(key: try reader.readString())
        case .delete:
            self = .delete(key: try reader.readString())
        case .cas:
            let key = try reader.readString()
            let from = try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readString() }
            let to = try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readString() }
            self = .cas(key: key, from: from, to: to)
        case .append:
            self = .append(key: try reader.readString(), suffix: try reader.readString())
        case .openSession:
            self = .openSession
        }
    }
}
