/// One value of the Redis serialization protocol, version 2 (RESP2): what clients send
/// (arrays of bulk strings) and what servers answer.
///
/// ```swift
/// var bytes: [UInt8] = []
/// RESPEncoder.encode(.array([.bulk("GET"), .bulk("x")]), into: &bytes)  // *2\r\n$3\r\nGET\r\n$1\r\nx\r\n
/// ```
public enum RESPValue: Hashable, Sendable {
    /// `+OK\r\n`: a line of text without CR or LF.
    case simpleString(String)
    /// `-ERR message\r\n`: the first word is the error code (`ERR`, `NOPROTO`, ...).
    case error(String)
    /// `:42\r\n`
    case integer(Int64)
    /// `$3\r\nabc\r\n`: any bytes; `nil` is the null bulk string `$-1\r\n`.
    case bulkString([UInt8]?)
    /// `*2\r\n...`: any values; `nil` is the null array `*-1\r\n`.
    case array([RESPValue]?)

    /// `+OK`
    public static let ok = RESPValue.simpleString("OK")
    /// `$-1`: Redis's "nil" answer (an absent key, a SET NX that did not apply).
    public static let nullBulkString = RESPValue.bulkString(nil)

    /// A bulk string holding the UTF-8 bytes of `string`.
    public static func bulk(_ string: String) -> RESPValue { .bulkString(Array(string.utf8)) }

    /// A bulk string of the UTF-8 bytes of `string`, or the null bulk string for `nil`.
    public static func bulk(_ string: String?) -> RESPValue { .bulkString(string.map { Array($0.utf8) }) }
}

extension RESPValue: CustomStringConvertible {
    /// A readable rendering in the spirit of `redis-cli`, for logs and test failures.
    public var description: String {
        switch self {
        case .simpleString(let text): return text
        case .error(let message): return "(error) \(message)"
        case .integer(let value): return "(integer) \(value)"
        case .bulkString(nil), .array(nil): return "(nil)"
        case .bulkString(let bytes?): return String(reflecting: String(decoding: bytes, as: UTF8.self))
        case .array(let elements?):
            return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
