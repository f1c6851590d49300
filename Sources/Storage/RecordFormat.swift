import SynodCore

/// The framing of one Write-Ahead Log record: `UInt32 length`, `UInt32 CRC32C` of the four
/// length bytes, `UInt32 CRC32C` of the payload, then the payload (one `LogEntry`).
/// Little-endian. The length has a checksum of its own so that recovery can trust it
/// before following it: a flipped length bit is caught as damage, never read as a record
/// that runs past the end of the file (which would look like a torn write).
enum RecordFormat {
    /// Length, length checksum, payload checksum.
    static let headerSize = 12
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
        appendInteger(length, to: &buffer)
        appendInteger(lengthChecksum(length), to: &buffer)
        appendInteger(CRC32C.checksum(payload), to: &buffer)
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

    /// The checksum of a length field: CRC32C of its four little-endian bytes.
    static func lengthChecksum(_ length: UInt32) -> UInt32 {
        withUnsafeBytes(of: length.littleEndian) { CRC32C.checksum($0) }
    }

    /// What the 12-byte header at `offset` of `bytes` says; the caller checked the bounds.
    static func header(in bytes: [UInt8], at offset: Int) -> Header {
        Header(
            length: readInteger(UInt32.self, from: bytes, at: offset),
            lengthChecksum: readInteger(UInt32.self, from: bytes, at: offset + 4),
            payloadChecksum: readInteger(UInt32.self, from: bytes, at: offset + 8))
    }

    /// A record header as stored.
    struct Header {
        var length: UInt32
        var lengthChecksum: UInt32
        var payloadChecksum: UInt32

        /// True when the length can be trusted.
        var lengthIsIntact: Bool { lengthChecksum == RecordFormat.lengthChecksum(length) }
    }

    /// The whole record at `offset` of `bytes` when both checksums match, as the range of
    /// its payload; nil otherwise. Says nothing about the payload's content.
    static func intactPayload(in bytes: [UInt8], at offset: Int) -> Range<Int>? {
        guard offset >= 0, bytes.count - offset >= headerSize else { return nil }
        let header = header(in: bytes, at: offset)
        guard header.lengthIsIntact else { return nil }
        let start = offset + headerSize
        guard Int(header.length) <= bytes.count - start else { return nil }
        let payload = start..<(start + Int(header.length))
        guard CRC32C.checksum(bytes[payload]) == header.payloadChecksum else { return nil }
        return payload
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
