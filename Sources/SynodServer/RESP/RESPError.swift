/// Why bytes from a peer are not RESP, or not a request the server takes. After most of
/// these the connection cannot be resynchronized: the server answers `reply` and closes
/// it, as Redis does. After an `isRecoverable` one (a request over a size limit, read to
/// its end and discarded) it answers `reply` and goes on with the next request.
public enum RESPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A value started with a byte that is no RESP type (`+ - : $ *`) inside an array.
    case invalidTypeByte(UInt8)
    /// A `$` length that is not a decimal integer, or negative other than -1.
    case invalidBulkLength(String)
    /// A `*` count that is not a decimal integer, or negative other than -1.
    case invalidMultibulkLength(String)
    /// A `:` line that is not a decimal `Int64`.
    case invalidInteger(String)
    /// A bulk string longer than the parser's limit.
    case bulkTooLong(length: Int, limit: Int)
    /// An array with more elements than the parser's limit.
    case arrayTooLong(count: Int, limit: Int)
    /// An inline command, simple string or error line longer than the limit.
    case lineTooLong(limit: Int)
    /// A header or bulk string not followed by `\r\n`.
    case missingCRLF
    /// Arrays nested deeper than the parser's limit.
    case nestingTooDeep(limit: Int)
    /// An inline command with an unterminated quote, or a closing quote followed by
    /// something other than a space.
    case unbalancedQuotes
    /// A request holding a bulk string longer than the value limit; skipped whole.
    case valueTooLong(length: Int, limit: Int)
    /// A request longer on the wire than the command limit; skipped whole.
    case requestTooLong(limit: Int)

    /// Whether the stream is still in step: the refused request was read to its end.
    public var isRecoverable: Bool {
        switch self {
        case .valueTooLong, .requestTooLong: true
        default: false
        }
    }

    /// The text after `-ERR ` in the server's answer, worded like Redis's where it has one.
    public var description: String {
        switch self {
        case .invalidTypeByte(let byte): "Protocol error: expected '$', got '\(Self.render(byte))'"
        case .invalidBulkLength(let text): "Protocol error: invalid bulk length '\(text)'"
        case .invalidMultibulkLength(let text): "Protocol error: invalid multibulk length '\(text)'"
        case .invalidInteger(let text): "Protocol error: invalid integer '\(text)'"
        case .bulkTooLong(let length, let limit):
            "Protocol error: bulk length \(length) exceeds the limit of \(limit) bytes"
        case .arrayTooLong(let count, let limit):
            "Protocol error: multibulk length \(count) exceeds the limit of \(limit) elements"
        case .lineTooLong(let limit): "Protocol error: too big inline request (limit \(limit) bytes)"
        case .missingCRLF: "Protocol error: expected CRLF"
        case .nestingTooDeep(let limit): "Protocol error: arrays nested deeper than \(limit)"
        case .unbalancedQuotes: "Protocol error: unbalanced quotes in request"
        case .valueTooLong(let length, let limit):
            "request refused: an argument of \(length) bytes is over the value limit of \(limit) bytes"
        case .requestTooLong(let limit): "request refused: over the command limit of \(limit) bytes"
        }
    }

    /// The answer: `-ERR Protocol error: ...` before closing the connection, or
    /// `-ERR request refused: ... limit ...` for a request over a size limit.
    public var reply: RESPValue { .error("ERR \(description)") }

    /// A byte as text in an error message: printable ASCII as is, anything else as `\xNN`.
    static func render(_ byte: UInt8) -> String {
        if (0x20...0x7E).contains(byte) { return String(UnicodeScalar(byte)) }
        let hex = String(byte, radix: 16, uppercase: true)
        return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }

    /// Bytes as text in an error message: at most `limit` bytes, CR/LF and other
    /// control bytes escaped, so that the message stays one line.
    static func render(_ bytes: some Collection<UInt8>, limit: Int = 32) -> String {
        bytes.prefix(limit).map { render($0) }.joined() + (bytes.count > limit ? "..." : "")
    }
}
