import SynodCore

/// The framing of one Write-Ahead Log record: `UInt32 length`, `UInt32 CRC32C` over the
/// length bytes and the payload, then the payload (one `LogEntry`). Little-endian. The
/// checksum covers the length so that a flipped length bit is caught, not followed.
enum RecordFormat {
    /// Length and checksum.
    static let headerSize = 8
    /// Index, term, kind and an empty data string.
    static let minimumPayloadSize = 8 + 8 + 1 + 1
    /// The smallest record a segment can hold: the divisor of the damage bound.
    static let minimumRecordSize = headerSize + minimumPayloadSize

    /// The payload of `entry`: index, term, kind, data.
    static func payload(of entry: LogEntry) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: minimumPayloadSize + 4 + entry.data.count)
        writer.writeInteger(entry.index.rawValue)
        writer.writeInteger(entry.term.rawValue)
        writer.writeByte(entry.kind.rawValue)
        writer.writeByteString(entry.data)
        return writer.bytes
    }

    /// Appends the framed record of `payload` to `buffer`.
    static func appendRecord(payload: [UInt8], to buffer: inout [UInt8]) {
        let length = UInt32(payload.count)
        var crc = CRC32C()
        withUnsafeBytes(of: length.littleEndian) { crc.update($0) }
        crc.update(payload)
        appendInteger(length, to: &buffer)
        appendInteger(crc.value, to: &buffer)
        buffer.append(contentsOf: payload)
    }

    /// Decodes a payload whose checksum already matched; nil when its fields make no sense.
    static func decodePayload(_ bytes: ArraySlice<UInt8>) -> LogEntry? {
        var reader = BinaryReader(Array(bytes))
        do {
            let index = try reader.readInteger(UInt64.self)
            let term = try reader.readInteger(UInt64.self)
            guard let kind = LogEntry.Kind(rawValue: try reader.readByte()) else { return nil }
            let data = try reader.readByteString()
            try reader.expectEnd()
            return LogEntry(term: Term(term), index: LogIndex(index), kind: kind, data: data)
        } catch {
            return nil
        }
    }

    /// The checksum a record with this length and payload must carry.
    static func checksum(length: UInt32, payload: ArraySlice<UInt8>) -> UInt32 {
        var crc = CRC32C()
        withUnsafeBytes(of: length.littleEndian) { crc.update($0) }
        crc.update(payload)
        return crc.value
    }
}

/// Appends `value` little-endian.
func appendInteger<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
}

/// Reads a little-endian integer at `offset`; the caller checked the bounds.
func readInteger<T: FixedWidthInteger>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
    var value = T.zero
    for position in 0..<(T.bitWidth / 8) {
        value |= T(truncatingIfNeeded: bytes[offset + position]) << (8 * position)
    }
    return value
}
