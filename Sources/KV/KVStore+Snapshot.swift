import SynodCore

extension KVStore {
    /// The format version written first; bumped when the layout changes. Version 1 held
    /// UTF-8 keys sorted as `String`s; version 2 holds any bytes, keys sorted by bytes.
    /// Both decode, so a data directory written before keeps its state.
    static let snapshotFormatVersion: UInt8 = 2

    /// The whole state as bytes, for log compaction and for comparing replicas. Keys
    /// and sessions are written in sorted order, so equal states give equal bytes.
    ///
    /// - Complexity: O(n log n) in keys plus sessions.
    public func snapshot() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 64 + 32 * (values.count + sessions.count))
        writer.writeByte(Self.snapshotFormatVersion)
        writer.writeVarint(appliedIndex.rawValue)
        writer.writeInteger(sessionTimeout.nanoseconds)
        writer.writeOptional(latestTime) { $0.writeInteger($1.nanoseconds) }
        writer.writeVarint(UInt64(values.count))
        for key in values.keys.sorted() {
            let entry = values[key]!
            writer.writeByteString(key.bytes)
            writer.writeByteString(entry.value.bytes)
            writer.writeVarint(entry.version.rawValue)
        }
        let sortedSessions = sessions.sortedByID
        writer.writeVarint(UInt64(sortedSessions.count))
        for (id, session) in sortedSessions {
            writer.writeVarint(id)
            writer.writeVarint(session.lastSequence)
            writer.writeInteger(session.lastActivity.nanoseconds)
            writer.writeOptional(session.lastReply) { $1.encode(into: &$0) }
        }
        return writer.bytes
    }

    /// Restores the state `snapshot()` wrote, including the session timeout, so that
    /// applying the same further entries gives the same replies as the original.
    /// Bytes that no store could have written (keys out of order, versions past the
    /// applied index, sessions already expired…) are rejected.
    public init(snapshot bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == 1 || version == Self.snapshotFormatVersion else { throw .unknownVersion(version) }
        let applied = LogIndex(try reader.readVarint())
        var offset = reader.offset
        let timeout = TimeSpan(nanoseconds: try reader.readInteger(Int64.self))
        guard timeout >= .zero else { throw .invalidValue("negative session timeout", offset: offset) }
        let now = try reader.readOptional { reader throws(BinaryDecodingError) in
            Instant(nanoseconds: try reader.readInteger(Int64.self))
        }
        self.init(sessionTimeout: timeout)
        appliedIndex = applied
        latestTime = now

        let keyCount = try reader.readCount()
        values.reserveCapacity(keyCount)
        var previousKey: ByteString?
        for _ in 0..<keyCount {
            offset = reader.offset
            let key = ByteString(version == 1 ? Array(try reader.readString().utf8) : try reader.readByteString())
            guard previousKey.map({ Self.precedes($0, key, formatVersion: version) }) ?? true else {
                throw .invalidValue("keys out of order", offset: offset)
            }
            let value = ByteString(version == 1 ? Array(try reader.readString().utf8) : try reader.readByteString())
            offset = reader.offset
            let version = LogIndex(try reader.readVarint())
            guard version > .zero && version <= applied else {
                throw .invalidValue("version \(version) outside 1...\(applied)", offset: offset)
            }
            values[key] = VersionedValue(value: value, version: version)
            previousKey = key
        }

        let sessionCount = try reader.readCount()
        var restored: [(id: UInt64, session: ClientSession)] = []
        restored.reserveCapacity(sessionCount)
        for _ in 0..<sessionCount {
            offset = reader.offset
            let id = try reader.readVarint()
            guard id > (restored.last?.id ?? 0) && id <= applied.rawValue else {
                throw .invalidValue("session \(id) out of order or past \(applied)", offset: offset)
            }
            let sequence = try reader.readVarint()
            offset = reader.offset
            let activity = Instant(nanoseconds: try reader.readInteger(Int64.self))
            guard let now, activity <= now,
                !ClientSession.isExpired(lastActivity: activity, now: now, timeout: timeout)
            else { throw .invalidValue("session \(id) inactive since \(activity.nanoseconds) ns", offset: offset) }
            let reply = try reader.readOptional { reader throws(BinaryDecodingError) in try KVReply(from: &reader) }
            guard (sequence == 0) == (reply == nil) else {
                throw .invalidValue("session \(id) reply does not match sequence \(sequence)", offset: offset)
            }
            restored.append((id, ClientSession(lastSequence: sequence, lastReply: reply, lastActivity: activity)))
        }
        sessions = SessionTable(restoring: restored)
        try reader.expectEnd()
    }

    /// Whether `first` comes before `second` in the key order of a snapshot of
    /// `formatVersion`: `String` order in version 1, byte order since.
    private static func precedes(_ first: ByteString, _ second: ByteString, formatVersion: UInt8) -> Bool {
        guard formatVersion == 1 else { return first < second }
        return String(decoding: first.bytes, as: UTF8.self) < String(decoding: second.bytes, as: UTF8.self)
    }
}
