/// A key or a value of the store: arbitrary bytes, as Redis holds them, so that a
/// client may store any binary value. A string literal stands for its UTF-8 bytes, so
/// code and tests that deal in text keep writing text.
///
/// ```swift
/// let key: ByteString = "user:42"
/// let blob = ByteString([0xFF, 0x00, 0x0D, 0x0A])
/// blob.text  // nil: not UTF-8
/// ```
public struct ByteString: Hashable, Sendable, ExpressibleByStringInterpolation {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(_ bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    /// The string's UTF-8 bytes.
    public init(_ text: String) { bytes = Array(text.utf8) }

    public init(stringLiteral value: String) { self.init(value) }

    public init(stringInterpolation: DefaultStringInterpolation) {
        self.init(String(stringInterpolation: stringInterpolation))
    }

    public var count: Int { bytes.count }

    public var isEmpty: Bool { bytes.isEmpty }

    /// The bytes as text when they are valid UTF-8, `nil` otherwise.
    public var text: String? { String(validating: bytes, as: UTF8.self) }

    public static func + (lhs: ByteString, rhs: ByteString) -> ByteString { ByteString(lhs.bytes + rhs.bytes) }
}

/// Byte order (shorter first on a common prefix), as Redis sorts keys; every replica
/// agrees on it, unlike `String`'s Unicode ordering, which equates distinct byte forms.
extension ByteString: Comparable {
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// Text shows as text, so logs and reports read as before; other bytes show escaped
/// (`\xFF`), the way `redis-cli` shows them.
extension ByteString: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { text ?? escaped }

    public var debugDescription: String { text.map { String(reflecting: $0) } ?? "\"\(escaped)\"" }

    /// Printable ASCII as is (with `"` and `\` escaped), every other byte as `\xHH`.
    public var escaped: String {
        var result = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): result += "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7F: result.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
