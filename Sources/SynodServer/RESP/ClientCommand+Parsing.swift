import KV

extension ClientCommand {
    /// Parses a request as `RESPParser.next()` returns it. Returns `nil` for an empty or
    /// null array, which Redis ignores without answering (so a pipeline stays aligned).
    ///
    /// A null bulk string is accepted only where absence means something (`CAS`'s `from`
    /// and `to`); elsewhere it is refused like a missing argument.
    public init?(_ request: RESPValue) throws(ClientCommandError) {
        guard case .array(let elements) = request else {
            throw ClientCommandError("ERR Protocol error: expected an array of bulk strings, got \(request.kind)")
        }
        guard let elements, !elements.isEmpty else { return nil }
        var arguments: [[UInt8]?] = []
        arguments.reserveCapacity(elements.count)
        for element in elements {
            guard case .bulkString(let bytes) = element else {
                throw ClientCommandError("ERR Protocol error: expected bulk strings, got \(element.kind)")
            }
            arguments.append(bytes)
        }
        try self.init(parsing: Arguments(arguments))
    }

    /// Parses a command from its arguments, the first being the command's name in any case.
    ///
    /// - Precondition: `arguments` is not empty.
    public init(arguments: [[UInt8]]) throws(ClientCommandError) {
        precondition(!arguments.isEmpty, "a command has at least its name")
        try self.init(parsing: Arguments(arguments))
    }

    private init(parsing arguments: Arguments) throws(ClientCommandError) {
        let name = arguments.name
        switch name {
        case "ping":
            try arguments.expect(count: 1...2)
            self = .ping(message: arguments.count == 2 ? try arguments.bytes(1) : nil)
        case "quit":
            self = .quit
        case "hello":
            self = try Self.hello(arguments)
        case "client":
            self = try Self.client(arguments)
        case "command":
            self = .command(subcommand: arguments.count > 1 ? try arguments.lowercased(1) : nil)
        case "config":
            try arguments.expect(count: 2...)
            guard try arguments.lowercased(1) == "get" else {
                throw .unknownSubcommand(try arguments.bytes(1), of: name)
            }
            try arguments.expect(count: 3..., name: "config|get")
            self = .configGet(
                patterns: try (2..<arguments.count).map { i throws(ClientCommandError) in
                    String(decoding: try arguments.bytes(i), as: UTF8.self)
                })
        case "select":
            try arguments.expect(count: 2...2)
            guard let index = RESPParser.decimal(try arguments.bytes(1)[...]) else { throw .notAnInteger }
            guard index == 0 else { throw .databaseOutOfRange }
            self = .select
        case "info":
            self = .info(
                sections: try (1..<arguments.count).map { i throws(ClientCommandError) in
                    try arguments.lowercased(i)
                })
        case "synod.leader":
            try arguments.expect(count: 1...1)
            self = .leader
        case "synod.status":
            try arguments.expect(count: 1...1)
            self = .status
        case "get":
            try arguments.expect(count: 2...2)
            self = .get(key: try arguments.string(1))
        case "mget":
            try arguments.expect(count: 2...)
            self = .mget(keys: try arguments.strings(from: 1))
        case "exists":
            try arguments.expect(count: 2...)
            self = .exists(keys: try arguments.strings(from: 1))
        case "strlen":
            try arguments.expect(count: 2...2)
            self = .strlen(key: try arguments.string(1))
        case "dbsize":
            try arguments.expect(count: 1...1)
            self = .dbsize
        case "keys":
            try arguments.expect(count: 2...2)
            self = .keys(pattern: KeyPattern(try arguments.bytes(1)))
        case "scan":
            self = try Self.scan(arguments)
        case "synod.exec":
            try arguments.expect(count: 4...)
            let session = try arguments.positive(1)
            let sequence = try arguments.positive(2)
            let nested = Arguments(Array(arguments.values[3...]))
            guard let write = try Self.write(nested), write.command != .openSession else {
                if Self.isKnown(nested.name) {
                    throw ClientCommandError(
                        "ERR SYNOD.EXEC runs only writes (SET, DEL, INCR, MSET, ...), not '\(nested.name)'")
                }
                throw .unknownCommand(nested.displayed)
            }
            self = .exec(session: session, sequence: sequence, command: write.command, applied: write.applied)
        default:
            guard let write = try Self.write(arguments) else { throw .unknownCommand(arguments.displayed) }
            self = .write(write.command, applied: write.applied)
        }
    }

    /// The names `init(arguments:)` knows, lowercased.
    public static let names: Set<String> = [
        "ping", "quit", "hello", "client", "command", "config", "select", "info", "synod.leader", "synod.status",
        "get", "mget", "exists", "strlen", "dbsize", "keys", "scan", "synod.exec", "set", "setnx", "getset",
        "getdel", "mset", "msetnx", "del", "incr", "incrby", "decr", "decrby", "append", "cas", "flushall",
        "flushdb", "synod.session",
    ]

    private static func isKnown(_ name: String) -> Bool { names.contains(name) }

    /// The log command of a write and how its `.applied` answer reads, `nil` if
    /// `arguments` names no write.
    private static func write(_ arguments: Arguments) throws(ClientCommandError) -> (
        command: KVCommand, applied: AppliedReply
    )? {
        switch arguments.name {
        case "setnx":
            try arguments.expect(count: 3...3)
            return (.putIf(key: try arguments.string(1), value: try arguments.string(2), exists: false), .oneOrZero)
        case "msetnx":
            return (try putAll(arguments, ifAllAbsent: true), .oneOrZero)
        default:
            return try plainWrite(arguments).map { ($0, .okOrNull) }
        }
    }

    /// A write whose answer reads the same for every command that makes it.
    private static func plainWrite(_ arguments: Arguments) throws(ClientCommandError) -> KVCommand? {
        switch arguments.name {
        case "set":
            return try set(arguments)
        case "getset":
            try arguments.expect(count: 3...3)
            return .getAndPut(key: try arguments.string(1), value: try arguments.string(2), exists: nil)
        case "getdel":
            try arguments.expect(count: 2...2)
            return .getAndDelete(key: try arguments.string(1))
        case "mset":
            return try putAll(arguments, ifAllAbsent: false)
        case "del":
            try arguments.expect(count: 2...)
            return .remove(keys: try arguments.strings(from: 1))
        case "incr":
            try arguments.expect(count: 2...2)
            return .increment(key: try arguments.string(1), by: 1)
        case "decr":
            try arguments.expect(count: 2...2)
            return .increment(key: try arguments.string(1), by: -1)
        case "incrby":
            try arguments.expect(count: 3...3)
            return .increment(key: try arguments.string(1), by: try arguments.integer(2))
        case "decrby":
            try arguments.expect(count: 3...3)
            let amount = try arguments.integer(2)
            guard amount != .min else { throw .decrementOverflow }
            return .increment(key: try arguments.string(1), by: -amount)
        case "append":
            try arguments.expect(count: 3...3)
            return .append(key: try arguments.string(1), suffix: try arguments.string(2))
        case "cas":
            try arguments.expect(count: 4...4)
            return .cas(
                key: try arguments.string(1), from: try arguments.absentOrString(2), to: try arguments.absentOrString(3)
            )
        case "flushall", "flushdb":
            // ASYNC and SYNC change only how Redis frees memory; the answer is the same.
            // Anything else, extra arguments included, is a syntax error, as in Redis.
            let option = arguments.count == 2 ? try arguments.uppercased(1) : nil
            guard arguments.count == 1 || option == "ASYNC" || option == "SYNC" else { throw .syntax }
            return .removeAll
        case "synod.session":
            try arguments.expect(count: 1...1)
            return .openSession
        default:
            return nil
        }
    }

    /// `SET key value [NX|XX] [GET] [KEEPTTL]`.
    private static func set(_ arguments: Arguments) throws(ClientCommandError) -> KVCommand {
        try arguments.expect(count: 3...)
        var exists: Bool?
        var get = false
        for index in 3..<arguments.count {
            switch try arguments.uppercased(index) {
            case "NX":
                guard exists != true else { throw .syntax }
                exists = false
            case "XX":
                guard exists != false else { throw .syntax }
                exists = true
            case "GET":
                get = true
            case "KEEPTTL":
                break  // There is no time to live to keep.
            case let option where ["EX", "PX", "EXAT", "PXAT"].contains(option):
                throw ClientCommandError("ERR syntax error, \(option) is not supported: Synod keys do not expire")
            default:
                throw .syntax
            }
        }
        let key = try arguments.string(1)
        let value = try arguments.string(2)
        if get { return .getAndPut(key: key, value: value, exists: exists) }
        return exists.map { .putIf(key: key, value: value, exists: $0) } ?? .put(key: key, value: value)
    }

    /// `MSET key value [key value ...]` and `MSETNX`: pairs, so an even count after the name.
    private static func putAll(_ arguments: Arguments, ifAllAbsent: Bool) throws(ClientCommandError) -> KVCommand {
        guard arguments.count >= 3, arguments.count % 2 == 1 else { throw .wrongArity(arguments.name) }
        let pairs = try stride(from: 1, to: arguments.count, by: 2).map { i throws(ClientCommandError) in
            KeyValuePair(key: try arguments.string(i), value: try arguments.string(i + 1))
        }
        return .putAll(pairs: pairs, ifAllAbsent: ifAllAbsent)
    }

    /// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`, worded as Redis refuses it:
    /// a cursor that is not an unsigned number is invalid, a COUNT below 1 a syntax error.
    private static func scan(_ arguments: Arguments) throws(ClientCommandError) -> ClientCommand {
        try arguments.expect(count: 2...)
        guard let cursor = UInt64(String(decoding: try arguments.bytes(1), as: UTF8.self)) else {
            throw .invalidCursor
        }
        var pattern: KeyPattern?
        var count = 10
        var typeMatches = true
        var index = 2
        while index < arguments.count {
            guard index + 1 < arguments.count else { throw .syntax }
            switch try arguments.uppercased(index) {
            case "MATCH":
                pattern = KeyPattern(try arguments.bytes(index + 1))
            case "COUNT":
                let number = try arguments.integer(index + 1)
                guard number >= 1 else { throw .syntax }
                count = Int(number)
            case "TYPE":
                typeMatches = try arguments.lowercased(index + 1) == "string"
            default:
                throw .syntax
            }
            index += 2
        }
        if pattern?.matchesEverything == true { pattern = nil }
        return .scan(cursor: cursor, pattern: pattern, count: count, typeMatches: typeMatches)
    }

    private static func hello(_ arguments: Arguments) throws(ClientCommandError) -> ClientCommand {
        var version: Int?
        if arguments.count >= 2 {
            guard let number = RESPParser.decimal(try arguments.bytes(1)[...]) else {
                throw ClientCommandError("ERR Protocol version is not an integer or out of range")
            }
            // Only RESP2 is spoken: HELLO 3 gets what a Redis without RESP3 would answer.
            guard number == 2 else { throw .unsupportedProtocol }
            version = 2
        }
        var name: String?
        var index = 2
        while index < arguments.count {
            let option = try arguments.uppercased(index)
            let more = arguments.count - 1 - index
            if option == "SETNAME" && more >= 1 {
                name = try clientName(arguments, index + 1)
                index += 2
            } else if option == "AUTH" && more >= 2 {
                throw ClientCommandError("ERR HELLO AUTH is not supported: Synod has no users or passwords")
            } else {
                throw ClientCommandError(
                    "ERR Syntax error in HELLO option '\(ClientCommandError.printable(try arguments.bytes(index), limit: 128))'"
                )
            }
        }
        return .hello(protocolVersion: version, clientName: name)
    }

    private static func client(_ arguments: Arguments) throws(ClientCommandError) -> ClientCommand {
        try arguments.expect(count: 2...)
        switch try arguments.lowercased(1) {
        case "setname":
            try arguments.expect(count: 3...3, name: "client|setname")
            return .clientSetName(try clientName(arguments, 2))
        case "setinfo":
            try arguments.expect(count: 4...4, name: "client|setinfo")
            let attribute = try arguments.lowercased(2)
            guard attribute == "lib-name" || attribute == "lib-ver" else {
                throw ClientCommandError(
                    "ERR Unrecognized option '\(ClientCommandError.printable(try arguments.bytes(2), limit: 128))'")
            }
            let value = try arguments.bytes(3)
            guard value.allSatisfy(Self.isNameByte) else {
                throw ClientCommandError("ERR \(attribute) cannot contain spaces, newlines or special characters.")
            }
            return .clientSetInfo(attribute: attribute, value: String(decoding: value, as: UTF8.self))
        default:
            throw .unknownSubcommand(try arguments.bytes(1), of: "client")
        }
    }

    /// A client name: printable ASCII without spaces, as Redis requires; empty clears it.
    private static func clientName(_ arguments: Arguments, _ index: Int) throws(ClientCommandError) -> String {
        let bytes = try arguments.bytes(index)
        guard bytes.allSatisfy(isNameByte) else {
            throw ClientCommandError("ERR Client names cannot contain spaces, newlines or special characters.")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool { (0x21...0x7E).contains(byte) }
}

/// A command's arguments and the accessors that turn them into typed values, each
/// throwing the error Redis would answer.
private struct Arguments {
    let values: [[UInt8]?]
    /// The command's name, lowercased (ASCII only), for dispatch and error messages.
    let name: String

    init(_ values: [[UInt8]?]) {
        self.values = values
        name = String(decoding: (values[0] ?? []).map(Self.lowercase), as: UTF8.self)
    }

    init(_ values: [[UInt8]]) {
        self.init(values.map { Optional($0) })
    }

    var count: Int { values.count }

    /// The arguments as sent, a null bulk string shown as empty.
    var displayed: [[UInt8]] { values.map { $0 ?? [] } }

    func expect(count range: some RangeExpression<Int>, name: String? = nil) throws(ClientCommandError) {
        guard range.contains(count) else { throw .wrongArity(name ?? self.name) }
    }

    func bytes(_ index: Int) throws(ClientCommandError) -> [UInt8] {
        guard let bytes = values[index] else {
            throw ClientCommandError("ERR Protocol error: null bulk string as argument \(index) of '\(name)'")
        }
        return bytes
    }

    /// A key or a value: any bytes, exactly as sent.
    func string(_ index: Int) throws(ClientCommandError) -> ByteString {
        ByteString(try bytes(index))
    }

    func strings(from start: Int) throws(ClientCommandError) -> [ByteString] {
        try (start..<count).map { index throws(ClientCommandError) in try string(index) }
    }

    /// `nil` for the null bulk string (CAS's "absent"); the empty bulk string is the
    /// empty value, which a key can hold like any other.
    func absentOrString(_ index: Int) throws(ClientCommandError) -> ByteString? {
        guard values[index] != nil else { return nil }
        return try string(index)
    }

    /// An option or subcommand name, uppercased (ASCII only; other bytes kept as is).
    func uppercased(_ index: Int) throws(ClientCommandError) -> String {
        String(decoding: try bytes(index).map(Self.uppercase), as: UTF8.self)
    }

    func lowercased(_ index: Int) throws(ClientCommandError) -> String {
        String(decoding: try bytes(index).map(Self.lowercase), as: UTF8.self)
    }

    /// A signed 64-bit number in canonical decimal, as Redis reads INCRBY's amount.
    func integer(_ index: Int) throws(ClientCommandError) -> Int64 {
        guard let number = RESPParser.decimal(try bytes(index)[...]) else { throw .notAnInteger }
        return number
    }

    /// A session id or sequence number: canonical decimal, from 1 to `UInt64.max`.
    func positive(_ index: Int) throws(ClientCommandError) -> UInt64 {
        let text = String(decoding: try bytes(index), as: UTF8.self)
        guard let number = UInt64(text), String(number) == text else { throw .notAnInteger }
        guard number > 0 else { throw ClientCommandError("ERR session ids and sequence numbers start at 1") }
        return number
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }

    private static func uppercase(_ byte: UInt8) -> UInt8 {
        (0x61...0x7A).contains(byte) ? byte - 0x20 : byte
    }
}

extension RESPValue {
    /// The kind of value, for error messages.
    var kind: String {
        switch self {
        case .simpleString: "a simple string"
        case .error: "an error"
        case .integer: "an integer"
        case .bulkString(nil): "a null bulk string"
        case .bulkString: "a bulk string"
        case .array(nil): "a null array"
        case .array: "an array"
        }
    }
}
