/// Reads what `BinaryWriter` wrote. Input may come from a disk or a peer, so every
/// read checks its bounds and throws `BinaryDecodingError` on truncated or malformed
/// bytes; it never traps, and never allocates more than the input could hold.
///
/// ```swift
/// var reader = BinaryReader([0xAC, 0x02, 0x01, 0x78])
/// let number = try reader.readVarint()  // 300
/// let name = try reader.readString()  // "x"
/// try reader.expectEnd()
/// ```
public struct BinaryReader: Sendable {
    private let bytes: [UInt8]
    /// The position of the next byte to read.
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    /// How many bytes are left to read.
    public var remainingCount: Int { bytes.count - offset }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func readByte() throws(BinaryDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a little-endian integer of `T.bitWidth / 8` bytes.
    public mutating func readInteger<T: FixedWidthInteger>(_: T.Type = T.self) throws(BinaryDecodingError) -> T {
        let width = T.bitWidth / 8
        guard width <= remainingCount else { throw .truncated(offset: offset) }
        var value = T.zero
        for position in 0..<width {
            value |= T(truncatingIfNeeded: bytes[offset + position]) << (8 * position)
        }
        offset += width
        return value
    }

    /// Reads an unsigned LEB128 varint. Only the shortest encoding is accepted (a
    /// trailing zero byte, more than ten bytes, or bits beyond 64 are malformed), so
    /// that one value has exactly one encoding.
    public mutating func readVarint() throws(BinaryDecodingError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .truncated(offset: offset) }
            let byte = bytes[offset]
            offset += 1
            let payload = UInt64(byte & 0x7F)
            if shift == 63 && payload > 1 { throw .malformedVarint(offset: start) }
            value |= payload << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 { throw .malformedVarint(offset: start) }
                return value
            }
            shift += 7
            if shift > 63 { throw .malformedVarint(offset: start) }
        }
    }

    /// Reads `0` or `1`; any other byte is malformed.
    public mutating func readBool() throws(BinaryDecodingError) -> Bool {
        let start = offset
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let byte: throw .invalidValue("bool byte \(byte)", offset: start)
        }
    }

    /// Reads a varint count of items that each take at least one byte. A count larger
    /// than the bytes left is truncated input, so callers may reserve capacity for it.
    public mutating func readCount() throws(BinaryDecodingError) -> Int {
        let start = offset
        let count = try readVarint()
        guard count <= UInt64(remainingCount) else { throw .truncated(offset: start) }
        return Int(count)
    }

    /// Reads a varint length, then that many bytes.
    public mutating func readByteString() throws(BinaryDecodingError) -> [UInt8] {
        let count = try readCount()
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a byte string that must be valid UTF-8.
    public mutating func readString() throws(BinaryDecodingError) -> String {
        let start = offset
        let utf8 = try readByteString()
        guard let string = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return string
    }

    /// Reads a presence byte, then the value if present.
    ///
    /// ```swift
    /// let name = try reader.readOptional { try $0.readString() }
    /// ```
    public mutating func readOptional<T>(
        _ readValue: (inout BinaryReader) throws(BinaryDecodingError) -> T
    ) throws(BinaryDecodingError) -> T? {
        guard try readBool() else { return nil }
        return try readValue(&self)
    }

    /// Throws unless every byte was read: trailing bytes mean the input is not what
    /// the caller thinks it is.
    public func expectEnd() throws(BinaryDecodingError) {
        guard isAtEnd else { throw .trailingBytes(offset: offset) }
    }
}

/// Why bytes could not be decoded. Each case carries the offset where the problem
/// starts, so a corrupt record can be located.
public enum BinaryDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input ended before the value did.
    case truncated(offset: Int)
    /// A varint that is longer than ten bytes, overflows 64 bits, or is not the shortest form.
    case malformedVarint(offset: Int)
    /// A string whose bytes are not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A format version this code does not know.
    case unknownVersion(UInt8)
    /// A tag byte that names no case of the type being decoded.
    case unknownTag(UInt8, offset: Int)
    /// A well-formed value that breaks a rule of the format (order, range, …).
    case invalidValue(String, offset: Int)
    /// Bytes left over after the value was decoded.
    case trailingBytes(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let offset): "input truncated at byte \(offset)"
        case .malformedVarint(let offset): "malformed varint at byte \(offset)"
        case .invalidUTF8(let offset): "invalid UTF-8 in string at byte \(offset)"
        case .unknownVersion(let version): "unknown format version \(version)"
        case .unknownTag(let tag, let offset): "unknown tag \(tag) at byte \(offset)"
        case .invalidValue(let what, let offset): "invalid value at byte \(offset): \(what)"
        case .trailingBytes(let offset): "unexpected bytes after the value, from byte \(offset)"
        }
    }
}
