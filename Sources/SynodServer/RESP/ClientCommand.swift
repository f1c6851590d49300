import KV

/// A client request, parsed from a RESP array of bulk strings (`redis-cli`,
/// `redis-benchmark`, Synod's own client). The server answers the connection commands
/// itself, serves reads at a linearizable read point, and proposes writes to the log.
///
/// ```swift
/// let command = try ClientCommand(arguments: ["SET", "x", "5", "NX"].map { Array($0.utf8) })
/// // .write(.putIf(key: "x", value: "5", exists: false))
/// ```
///
/// Keys and values are bytes, on the wire as in the store: any byte, `\r\n` and NUL
/// included, round-trips unchanged.
public enum ClientCommand: Hashable, Sendable {
    // MARK: Answered by the server itself.

    /// `PING [message]`: `+PONG`, or the message as a bulk string.
    case ping(message: [UInt8]?)
    /// `QUIT`: `+OK`, then the server closes the connection.
    case quit
    /// `HELLO [2 [SETNAME name]]`: the server speaks RESP2 only; `HELLO 3` is refused
    /// with `-NOPROTO` at parsing. `clientName` is `SETNAME`'s argument.
    case hello(protocolVersion: Int?, clientName: String?)
    /// `CLIENT SETNAME name`; an empty name clears it.
    case clientSetName(String)
    /// `CLIENT SETINFO LIB-NAME|LIB-VER value`; `attribute` is lowercased.
    case clientSetInfo(attribute: String, value: String)
    /// `COMMAND [subcommand ...]` (`redis-cli` asks for `COMMAND DOCS`); the subcommand is
    /// lowercased. The server answers an empty array.
    case command(subcommand: String?)
    /// `CONFIG GET pattern...` (`redis-benchmark` asks for `save` and `appendonly` at
    /// start): the few parameters that describe Synod in Redis's terms, as name/value
    /// pairs; a pattern that matches none adds nothing.
    case configGet(patterns: [String])
    /// `SELECT 0`: the one database there is; other indexes are refused at parsing.
    case select
    /// `INFO [section ...]`, sections lowercased.
    case info(sections: [String])
    /// `SYNOD.LEADER`: which node the server believes leads.
    case leader
    /// `SYNOD.STATUS`: the node's Raft state.
    case status

    // MARK: Reads, served at a linearizable read point.

    /// `GET key`: a bulk string, or the null bulk string when absent.
    case get(key: ByteString)
    /// `MGET key...`: an array of bulk strings or nulls.
    case mget(keys: [ByteString])
    /// `EXISTS key...`: how many of the keys exist, a key counted as often as listed.
    case exists(keys: [ByteString])
    /// `STRLEN key`: the value's length in bytes, 0 when absent.
    case strlen(key: ByteString)
    /// `DBSIZE`: how many keys there are.
    case dbsize
    /// `KEYS pattern`: the matching keys, sorted.
    case keys(pattern: KeyPattern)
    /// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`: the next cursor and a batch
    /// of keys (`KVStore.scan`); every value is a string, so a `TYPE` other than `string`
    /// (`typeMatches: false`) walks the keys and returns none.
    case scan(cursor: UInt64, pattern: KeyPattern?, count: Int, typeMatches: Bool)

    // MARK: Writes, through the log.

    /// A command to propose outside any session (no protection against retries): `SET`
    /// (`.put`, `.putIf` with NX/XX, `.getAndPut` with GET), `SETNX`, `GETSET`, `GETDEL`,
    /// `MSET`, `MSETNX` (`.putAll`), `DEL` (`.remove`), `INCR`, `INCRBY`, `DECR`,
    /// `DECRBY` (`.increment`), `APPEND`, `CAS`, `FLUSHALL` (`.removeAll`), and
    /// `SYNOD.SESSION` (`.openSession`, answered with the new id). `applied` says how the
    /// store's `.applied` answer reads to this command's client.
    case write(KVCommand, applied: AppliedReply = .okOrNull)
    /// `SYNOD.EXEC session sequence command...`: a write (any of `write`'s but
    /// `SYNOD.SESSION`) under an exactly-once session opened by `SYNOD.SESSION`
    /// (Idempotent Receiver). Session ids and sequence numbers start at 1.
    case exec(session: UInt64, sequence: UInt64, command: KVCommand, applied: AppliedReply = .okOrNull)

    /// How a conditional write's outcome reads: `SET ... NX|XX` answers `+OK` or the null
    /// bulk string, `SETNX` and `MSETNX` answer `:1` or `:0`, as in Redis.
    public enum AppliedReply: Hashable, Sendable {
        case okOrNull
        case oneOrZero
    }
}

/// Why a request cannot be carried out as sent. Unlike a `RESPError`, the connection
/// stays usable: the server answers `reply` and goes on with the next command.
public struct ClientCommandError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The whole error line, code first: `ERR syntax error`, `NOPROTO unsupported protocol version`.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// `-message`, ready to encode.
    public var reply: RESPValue { .error(message) }
}

extension ClientCommandError {
    /// `ERR wrong number of arguments for 'get' command` (`name` lowercased, with
    /// `|subcommand` for a subcommand, as Redis 7 writes it).
    public static func wrongArity(_ name: String) -> Self {
        Self("ERR wrong number of arguments for '\(name)' command")
    }
    public static let syntax = Self("ERR syntax error")
    public static let notAnInteger = Self("ERR value is not an integer or out of range")
    public static let overflow = Self("ERR increment or decrement would overflow")
    /// `DECRBY key -9223372036854775808`: the amount itself cannot be negated.
    public static let decrementOverflow = Self("ERR decrement would overflow")
    public static let invalidCursor = Self("ERR invalid cursor")
    public static let databaseOutOfRange = Self("ERR DB index is out of range")
    public static let unsupportedProtocol = Self("NOPROTO unsupported protocol version")
    public static let sessionExpired = Self(
        "SESSIONEXPIRED unknown or expired session; open a new one with SYNOD.SESSION")
    public static let outOfOrder = Self(
        "OUTOFORDER the session already applied a later sequence; this request's reply is gone")

    /// `ERR unknown subcommand 'x'. Try CLIENT HELP.`
    public static func unknownSubcommand(_ subcommand: [UInt8], of command: String) -> Self {
        Self("ERR unknown subcommand '\(printable(subcommand, limit: 128))'. Try \(command.uppercased()) HELP.")
    }

    /// Redis's exact wording, including the trailing space:
    /// `ERR unknown command 'FOO', with args beginning with: 'a' 'b' `.
    public static func unknownCommand(_ arguments: [[UInt8]]) -> Self {
        var shown = ""
        for argument in arguments.dropFirst() {
            let room = 128 - shown.utf8.count
            guard room > 0 else { break }
            shown += "'\(printable(argument, limit: room))' "
        }
        let name = arguments.first.map { printable($0, limit: 128) } ?? ""
        return Self("ERR unknown command '\(name)', with args beginning with: \(shown)")
    }

    /// Up to `limit` bytes as text, invalid UTF-8 repaired and CR/LF made spaces (as
    /// Redis does), so an echoed argument cannot break the reply's framing.
    static func printable(_ bytes: [UInt8], limit: Int) -> String {
        String(decoding: bytes.prefix(limit).map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self)
    }
}
