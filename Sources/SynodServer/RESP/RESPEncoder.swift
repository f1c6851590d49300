/// Writes RESP2 values as bytes, appending to a caller-owned buffer so that a pipeline
/// of replies goes out in one write. The helpers skip building a `RESPValue` for the
/// common replies.
///
/// ```swift
/// var out: [UInt8] = []
/// RESPEncoder.encodeOK(into: &out)                       // +OK\r\n
/// RESPEncoder.encodeInteger(3, into: &out)               // :3\r\n
/// RESPEncoder.encodeBulkString(Array("v".utf8), into: &out)  // $1\r\nv\r\n
/// ```
///
/// Simple strings and errors cannot hold CR or LF: the encoder writes a space for each,
/// so a message can never break the framing.
public enum RESPEncoder {
    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let okBytes: [UInt8] = Array("+OK\r\n".utf8)
    private static let nullBulkBytes: [UInt8] = Array("$-1\r\n".utf8)
    private static let nullArrayBytes: [UInt8] = Array("*-1\r\n".utf8)

    /// Appends the encoding of `value` to `buffer`.
    ///
    /// - Complexity: O(size of the encoding).
    public static func encode(_ value: RESPValue, into buffer: inout [UInt8]) {
        switch value {
        case .simpleString(let text): encodeSimpleString(text, into: &buffer)
        case .error(let message): encodeError(message, into: &buffer)
        case .integer(let number): encodeInteger(number, into: &buffer)
        case .bulkString(let bytes): encodeBulkString(bytes, into: &buffer)
        case .array(nil): buffer.append(contentsOf: nullArrayBytes)
        case .array(let elements?):
            encodeArrayHeader(count: elements.count, into: &buffer)
            for element in elements { encode(element, into: &buffer) }
        }
    }

    /// The encoding of `value` as a new array.
    public static func encode(_ value: RESPValue) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(value, into: &buffer)
        return buffer
    }

    /// `+OK\r\n`
    public static func encodeOK(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: okBytes)
    }

    /// `+text\r\n`, CR and LF replaced by spaces.
    public static func encodeSimpleString(_ text: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "+"))
        appendLine(text, into: &buffer)
    }

    /// `-message\r\n`, CR and LF replaced by spaces. The message starts with its code:
    /// `encodeError("ERR syntax error", into: &out)`.
    public static func encodeError(_ message: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "-"))
        appendLine(message, into: &buffer)
    }

    /// `:number\r\n`
    public static func encodeInteger(_ number: Int64, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: ":"))
        appendDecimal(number, into: &buffer)
        buffer.append(contentsOf: crlf)
    }

    /// `$length\r\nbytes\r\n`, or `$-1\r\n` for `nil`.
    public static func encodeBulkString(_ bytes: [UInt8]?, into buffer: inout [UInt8]) {
        guard let bytes else {
            buffer.append(contentsOf: nullBulkBytes)
            return
        }
        encodeBulkString(bytes[...], into: &buffer)
    }

    /// `$length\r\nbytes\r\n` from any contiguous bytes, such as a slice of a larger buffer.
    public static func encodeBulkString(_ bytes: ArraySlice<UInt8>, into buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + bytes.count + 16)
        buffer.append(UInt8(ascii: "$"))
        appendDecimal(Int64(bytes.count), into: &buffer)
        buffer.append(contentsOf: crlf)
        buffer.append(contentsOf: bytes)
        buffer.append(contentsOf: crlf)
    }

    /// `$length\r\n...\r\n` holding the UTF-8 of `string`, or `$-1\r\n` for `nil`.
    public static func encodeBulkString(_ string: String?, into buffer: inout [UInt8]) {
        guard let string else {
            buffer.append(contentsOf: nullBulkBytes)
            return
        }
        buffer.append(UInt8(ascii: "$"))
        appendDecimal(Int64(string.utf8.count), into: &buffer)
        buffer.append(contentsOf: crlf)
        buffer.append(contentsOf: string.utf8)
        buffer.append(contentsOf: crlf)
    }

    /// `*count\r\n`, or `*-1\r\n` for `nil`; the caller then encodes `count` elements.
    public static func encodeArrayHeader(count: Int?, into buffer: inout [UInt8]) {
        guard let count else {
            buffer.append(contentsOf: nullArrayBytes)
            return
        }
        buffer.append(UInt8(ascii: "*"))
        appendDecimal(Int64(count), into: &buffer)
        buffer.append(contentsOf: crlf)
    }

    private static func appendLine(_ text: String, into buffer: inout [UInt8]) {
        for byte in text.utf8 {
            buffer.append(byte == 0x0D || byte == 0x0A ? UInt8(ascii: " ") : byte)
        }
        buffer.append(contentsOf: crlf)
    }

    /// The decimal digits of `number`, without building a `String`.
    static func appendDecimal(_ number: Int64, into buffer: inout [UInt8]) {
        if number < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = buffer.count
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        buffer[start...].reverse()
    }
}
