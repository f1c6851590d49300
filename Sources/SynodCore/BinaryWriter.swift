/// Builds the compact binary form used on the wire, in log entries and in snapshots:
/// little-endian fixed-width integers, LEB128 varints, and length-prefixed byte and
/// UTF-8 strings. The same values always give the same bytes, so replicas that encode
/// the same state produce byte-identical snapshots.
///
/// ```swift
/// var writer = BinaryWriter()
/// writer.writeVarint(300)
/// writer.writeString("x")
/// writer.bytes  // [0xAC, 0x02, 0x01, 0x78]
/// ```
public struct BinaryWriter: Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func writeByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Writes `value` in `T.bitWidth / 8` bytes, least significant first.
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        var remaining = value
        for _ in 0..<(T.bitWidth / 8) {
            bytes.append(UInt8(truncatingIfNeeded: remaining))
            remaining = remaining >> 8
        }
    }

    /// Writes `value` as an unsigned LEB128 varint: seven bits a byte, low bits first,
    /// the high bit set on every byte but the last. Small numbers take one byte; the
    /// encoding is always the shortest one (at most ten bytes).
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Writes `0` or `1`.
    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Writes a varint length, then the bytes themselves.
    public mutating func writeByteString(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes the string's UTF-8 form as a byte string.
    public mutating func writeString(_ value: String) {
        writeByteString(value.utf8)
    }

    /// Writes a presence byte (`0` absent, `1` present), then the value if present.
    ///
    /// ```swift
    /// writer.writeOptional(name) { $0.writeString($1) }
    /// ```
    public mutating func writeOptional<T>(_ value: T?, _ writeValue: (inout BinaryWriter, T) -> Void) {
        guard let value else {
            writeBool(false)
            return
        }
        writeBool(true)
        writeValue(&self, value)
    }
}
