import SynodCore

/// An operation on the key-value store, carried in a log entry. Absent is a value
/// of its own (`nil`), so `cas` can create (`from: nil`) and delete (`to: nil`).
public enum KVCommand: Hashable, Sendable {
    /// Writes `value` under `key`.
    case put(key: ByteString, value: ByteString)
    /// Reads `key`; through the log, this is a linearizable read.
    case get(key: ByteString)
    /// Removes `key`; deleting an absent key succeeds and changes nothing.
    case delete(key: ByteString)
    /// Compare-and-swap: writes `to` if the current value equals `from`.
    case cas(key: ByteString, from: ByteString?, to: ByteString?)
    /// Appends `suffix` to the current value, an absent key counting as empty; answers
    /// the new value's length in bytes (`.integer`), as Redis's APPEND does.
    case append(key: ByteString, suffix: ByteString)
    /// Registers a client session; its id is the index of this entry.
    case openSession
    /// Adds `amount` to the key's value read as a decimal `Int64`, an absent key counting
    /// as 0, and answers the sum (`.integer`). A value that is not the canonical decimal
    /// form of an `Int64` (`"7"`, `"-12"`; not `"+7"`, `"07"`, `" 7"`), or a sum that
    /// overflows, is refused (`.failed`) and nothing changes.
    case increment(key: ByteString, by: Int64)
    /// Conditional put (SET NX / SET XX): writes `value` only if the key is present
    /// (`exists: true`) or only if it is absent (`exists: false`); answers `.applied`.
    case putIf(key: ByteString, value: ByteString, exists: Bool)
    /// Removes every key listed, in order and as one write, and answers how many of them
    /// existed (`.integer`); a key listed twice counts once (Redis's DEL).
    case remove(keys: [ByteString])
    /// Writes every pair, in order and as one write, so that no read sees some of them
    /// without the others (MSET, answered `.done`). With `ifAllAbsent`, writes them only
    /// if none of the keys exists and answers `.applied` (MSETNX).
    case putAll(pairs: [KeyValuePair], ifAllAbsent: Bool)
    /// Writes `value` under `key` (only if the key is present for `exists: true`, only if
    /// absent for `false`, always for `nil`) and answers the value it found (`.value`),
    /// as GETSET and SET ... GET do.
    case getAndPut(key: ByteString, value: ByteString, exists: Bool?)
    /// Removes `key` and answers the value it had (`.value`), as GETDEL does.
    case getAndDelete(key: ByteString)
    /// Removes every key (FLUSHALL), answering `.done`; sessions are not keys and stay.
    case removeAll

    /// The single key the command touches; `nil` for `openSession`, `removeAll`, and a
    /// `remove` or `putAll` of any number of keys but one.
    public var key: ByteString? {
        switch self {
        case .put(let key, _), .get(let key), .delete(let key), .cas(let key, _, _), .append(let key, _),
            .increment(let key, _), .putIf(let key, _, _), .getAndPut(let key, _, _), .getAndDelete(let key):
            key
        case .remove(let keys): keys.count == 1 ? keys[0] : nil
        case .putAll(let pairs, _): pairs.count == 1 ? pairs[0].key : nil
        case .openSession, .removeAll: nil
        }
    }

    /// Every key the command names, in the order given (none for `removeAll`).
    public var keys: [ByteString] {
        switch self {
        case .remove(let keys): keys
        case .putAll(let pairs, _): pairs.map(\.key)
        default: key.map { [$0] } ?? []
        }
    }

    /// Whether applying the command can change the keys (a read or a session opening
    /// cannot).
    public var isWrite: Bool {
        switch self {
        case .get, .openSession: false
        case .put, .delete, .cas, .append, .increment, .putIf, .remove, .putAll, .getAndPut, .getAndDelete,
            .removeAll:
            true
        }
    }
}

extension KVCommand {
    /// New commands take new tags; a tag is never reused, so old entries keep decoding.
    private enum Tag: UInt8 {
        case put = 1
        case get = 2
        case delete = 3
        case cas = 4
        case append = 5
        case openSession = 6
        case increment = 7
        case putIf = 8
        case remove = 9
        case putAll = 10
        case getAndPut = 11
        case getAndDelete = 12
        case removeAll = 13
    }

    func encode(into writer: inout BinaryWriter) {
        switch self {
        case .put(let key, let value):
            writer.writeByte(Tag.put.rawValue)
            writer.writeByteString(key.bytes)
            writer.writeByteString(value.bytes)
        case .get(let key):
            writer.writeByte(Tag.get.rawValue)
            writer.writeByteString(key.bytes)
        case .delete(let key):
            writer.writeByte(Tag.delete.rawValue)
            writer.writeByteString(key.bytes)
        case .cas(let key, let from, let to):
            writer.writeByte(Tag.cas.rawValue)
            writer.writeByteString(key.bytes)
            writer.writeOptional(from) { $0.writeByteString($1.bytes) }
            writer.writeOptional(to) { $0.writeByteString($1.bytes) }
        case .append(let key, let suffix):
            writer.writeByte(Tag.append.rawValue)
            writer.writeByteString(key.bytes)
            writer.writeByteString(suffix.bytes)
        case .openSession:
            writer.writeByte(Tag.openSession.rawValue)
        case .increment(let key, let amount):
            writer.writeByte(Tag.increment.rawValue)
            writer.writeByteString(key.bytes)
            writer.writeInteger(amount)
        case .putIf(let key, let value, let exists):
            writer.writeByte(Tag.putIf.rawValue)
            writer.writeByteString(key.bytes)
            writer.writeByteString(value.bytes)
            writer.writeBool(exists)
        case .remove(let keys):
            writer.writeByte(Tag.remove.rawValue)
            writer.writeVarint(UInt64(keys.count))
            for key in keys { writer.writeByteString(key.bytes) }
        case .putAll(let pairs, let ifAllAbsent):
            writer.writeByte(Tag.putAll.rawValue)
            writer.writeBool(ifAllAbsent)
            writer.writeVarint(UInt64(pairs.count))
            for pair in pairs {
                writer.writeByteString(pair.key.bytes)
                writer.writeByteString(pair.value.bytes)
            }
        case .getAndPut(let key, let value, let exists):
            writer.writeByte(Tag.getAndPut.rawValue)
            writer.writeByteString(key.bytes)
            writer.writeByteString(value.bytes)
            writer.writeOptional(exists) { $0.writeBool($1) }
        case .getAndDelete(let key):
            writer.writeByte(Tag.getAndDelete.rawValue)
            writer.writeByteString(key.bytes)
        case .removeAll:
            writer.writeByte(Tag.removeAll.rawValue)
        }
    }

    init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        let start = reader.offset
        let byte = try reader.readByte()
        guard let tag = Tag(rawValue: byte) else { throw .unknownTag(byte, offset: start) }
        switch tag {
        case .put:
            self = .put(key: ByteString(try reader.readByteString()), value: ByteString(try reader.readByteString()))
        case .get:
            self = .get(key: ByteString(try reader.readByteString()))
        case .delete:
            self = .delete(key: ByteString(try reader.readByteString()))
        case .cas:
            let key = ByteString(try reader.readByteString())
            let from = try reader.readOptional { reader throws(BinaryDecodingError) in
                ByteString(try reader.readByteString())
            }
            let to = try reader.readOptional { reader throws(BinaryDecodingError) in
                ByteString(try reader.readByteString())
            }
            self = .cas(key: key, from: from, to: to)
        case .append:
            self = .append(
                key: ByteString(try reader.readByteString()), suffix: ByteString(try reader.readByteString()))
        case .openSession:
            self = .openSession
        case .increment:
            self = .increment(key: ByteString(try reader.readByteString()), by: try reader.readInteger(Int64.self))
        case .putIf:
            self = .putIf(
                key: ByteString(try reader.readByteString()), value: ByteString(try reader.readByteString()),
                exists: try reader.readBool())
        case .remove:
            // Each key takes at least its length byte, so readCount bounds the allocation.
            let count = try reader.readCount()
            var keys: [ByteString] = []
            keys.reserveCapacity(count)
            for _ in 0..<count { keys.append(ByteString(try reader.readByteString())) }
            self = .remove(keys: keys)
        case .putAll:
            let ifAllAbsent = try reader.readBool()
            // Each pair takes at least its two length bytes, so readCount bounds the allocation.
            let count = try reader.readCount()
            var pairs: [KeyValuePair] = []
            pairs.reserveCapacity(count)
            for _ in 0..<count {
                pairs.append(
                    KeyValuePair(
                        key: ByteString(try reader.readByteString()), value: ByteString(try reader.readByteString())))
            }
            self = .putAll(pairs: pairs, ifAllAbsent: ifAllAbsent)
        case .getAndPut:
            let key = ByteString(try reader.readByteString())
            let value = ByteString(try reader.readByteString())
            let exists = try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readBool() }
            self = .getAndPut(key: key, value: value, exists: exists)
        case .getAndDelete:
            self = .getAndDelete(key: ByteString(try reader.readByteString()))
        case .removeAll:
            self = .removeAll
        }
    }
}
