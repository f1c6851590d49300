import KV
import SynodServer
import Testing

/// Client commands parsed from what `redis-cli` and `redis-benchmark` send, and the
/// errors worded as Redis words them.
@Suite struct RESPCommandTests {
    private func parse(_ words: String...) throws(ClientCommandError) -> ClientCommand {
        try ClientCommand(arguments: words.map(utf8))
    }

    private func error(_ words: String...) -> String? {
        do {
            _ = try ClientCommand(arguments: words.map(utf8))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func everyCommandParses() throws {
        #expect(try parse("PING") == .ping(message: nil))
        #expect(try parse("ping", "hi") == .ping(message: utf8("hi")))
        #expect(try parse("QUIT") == .quit)
        #expect(try parse("HELLO") == .hello(protocolVersion: nil, clientName: nil))
        #expect(try parse("HELLO", "2", "setname", "bench") == .hello(protocolVersion: 2, clientName: "bench"))
        #expect(try parse("CLIENT", "SETNAME", "worker-1") == .clientSetName("worker-1"))
        #expect(try parse("client", "setname", "") == .clientSetName(""))
        #expect(
            try parse("CLIENT", "SETINFO", "LIB-NAME", "redis-py")
                == .clientSetInfo(attribute: "lib-name", value: "redis-py"))
        #expect(try parse("COMMAND") == .command(subcommand: nil))
        #expect(try parse("COMMAND", "DOCS") == .command(subcommand: "docs"))
        #expect(try parse("COMMAND", "COUNT") == .command(subcommand: "count"))
        #expect(try parse("CONFIG", "GET", "save") == .configGet(patterns: ["save"]))
        #expect(try parse("config", "get", "save", "appendonly") == .configGet(patterns: ["save", "appendonly"]))
        #expect(try parse("SELECT", "0") == .select)
        #expect(try parse("INFO") == .info(sections: []))
        #expect(try parse("INFO", "Server", "replication") == .info(sections: ["server", "replication"]))
        #expect(try parse("SYNOD.LEADER") == .leader)
        #expect(try parse("synod.status") == .status)
        #expect(try parse("GET", "k") == .get(key: "k"))
        #expect(try parse("MGET", "a", "b", "a") == .mget(keys: ["a", "b", "a"]))
        #expect(try parse("EXISTS", "a", "b") == .exists(keys: ["a", "b"]))
        #expect(try parse("SET", "k", "v") == .write(.put(key: "k", value: "v")))
        #expect(try parse("DEL", "a", "b") == .write(.remove(keys: ["a", "b"])))
        #expect(try parse("INCR", "n") == .write(.increment(key: "n", by: 1)))
        #expect(try parse("APPEND", "k", "v") == .write(.append(key: "k", suffix: "v")))
        #expect(try parse("CAS", "k", "a", "b") == .write(.cas(key: "k", from: "a", to: "b")))
        #expect(try parse("SYNOD.SESSION") == .write(.openSession))
        #expect(
            try parse("SYNOD.EXEC", "7", "3", "SET", "k", "v")
                == .exec(session: 7, sequence: 3, command: .put(key: "k", value: "v")))
    }

    @Test func namesAndOptionsAreCaseInsensitive() throws {
        #expect(try parse("gEt", "K") == .get(key: "K"), "but keys are not")
        #expect(try parse("set", "k", "v", "nx") == .write(.putIf(key: "k", value: "v", exists: false)))
        #expect(
            try parse("Synod.Exec", "1", "1", "incr", "n")
                == .exec(session: 1, sequence: 1, command: .increment(key: "n", by: 1)))
    }

    @Test(
        arguments: [
            (["GET"], "get"), (["GET", "a", "b"], "get"), (["SET", "k"], "set"), (["PING", "a", "b"], "ping"),
            (["DEL"], "del"), (["EXISTS"], "exists"), (["MGET"], "mget"), (["INCR"], "incr"),
            (["INCR", "a", "b"], "incr"), (["APPEND", "k"], "append"), (["APPEND", "k", "v", "w"], "append"),
            (["CAS", "k", "a"], "cas"), (["CAS", "k", "a", "b", "c"], "cas"), (["SELECT"], "select"),
            (["SELECT", "0", "1"], "select"), (["CLIENT"], "client"), (["CLIENT", "SETNAME"], "client|setname"),
            (["CLIENT", "SETNAME", "a", "b"], "client|setname"), (["CLIENT", "SETINFO", "LIB-NAME"], "client|setinfo"),
            (["CONFIG"], "config"), (["CONFIG", "GET"], "config|get"), (["SYNOD.LEADER", "x"], "synod.leader"),
            (["SYNOD.STATUS", "x"], "synod.status"), (["SYNOD.SESSION", "x"], "synod.session"),
            (["SYNOD.EXEC", "1", "1"], "synod.exec"), (["SYNOD.EXEC", "1", "1", "SET", "k"], "set"),
        ])
    func wrongArityIsWordedLikeRedis(words: [String], name: String) {
        #expect(throws: ClientCommandError("ERR wrong number of arguments for '\(name)' command")) {
            try ClientCommand(arguments: words.map(utf8))
        }
    }

    @Test func anUnknownCommandEchoesItsNameAndFirstArgumentsLikeRedis() {
        #expect(error("FOO") == "ERR unknown command 'FOO', with args beginning with: ")
        #expect(error("foo", "a", "b c") == "ERR unknown command 'foo', with args beginning with: 'a' 'b c' ")
        #expect(error("EVAL", "x\r\ny") == "ERR unknown command 'EVAL', with args beginning with: 'x  y' ")
        let long = String(repeating: "z", count: 200)
        #expect(
            error("FOO", long, "next")
                == "ERR unknown command 'FOO', with args beginning with: '\(String(repeating: "z", count: 128))' ")
    }

    @Test func setTakesNXOrXXAndGetAndRefusesExpiryOptions() throws {
        #expect(try parse("SET", "k", "v", "XX") == .write(.putIf(key: "k", value: "v", exists: true)))
        #expect(try parse("SET", "k", "v", "NX", "NX") == .write(.putIf(key: "k", value: "v", exists: false)))
        #expect(try parse("SET", "k", "v", "KEEPTTL") == .write(.put(key: "k", value: "v")), "there is no TTL to keep")
        #expect(error("SET", "k", "v", "NX", "XX") == "ERR syntax error")
        #expect(error("SET", "k", "v", "XX", "NX") == "ERR syntax error")
        #expect(error("SET", "k", "v", "BOGUS") == "ERR syntax error")
        #expect(error("SET", "k", "v", "EX", "10") == "ERR syntax error, EX is not supported: Synod keys do not expire")
        #expect(error("SET", "k", "v", "px", "10") == "ERR syntax error, PX is not supported: Synod keys do not expire")
        #expect(
            error("SET", "k", "v", "EXAT", "1") == "ERR syntax error, EXAT is not supported: Synod keys do not expire")
    }

    @Test func helloSpeaksOnlyRESP2() throws {
        #expect(try parse("HELLO", "2") == .hello(protocolVersion: 2, clientName: nil))
        #expect(error("HELLO", "3") == "NOPROTO unsupported protocol version")
        #expect(error("HELLO", "1") == "NOPROTO unsupported protocol version")
        #expect(error("HELLO", "x") == "ERR Protocol version is not an integer or out of range")
        #expect(
            error("HELLO", "2", "AUTH", "u", "p") == "ERR HELLO AUTH is not supported: Synod has no users or passwords")
        #expect(error("HELLO", "2", "SETNAME") == "ERR Syntax error in HELLO option 'SETNAME'")
        #expect(error("HELLO", "2", "FOO") == "ERR Syntax error in HELLO option 'FOO'")
        #expect(
            error("HELLO", "2", "SETNAME", "a b")
                == "ERR Client names cannot contain spaces, newlines or special characters.")
    }

    @Test func clientSubcommands() {
        #expect(error("CLIENT", "LIST") == "ERR unknown subcommand 'LIST'. Try CLIENT HELP.")
        #expect(error("CLIENT", "KILL", "x") == "ERR unknown subcommand 'KILL'. Try CLIENT HELP.")
        #expect(
            error("CLIENT", "SETNAME", "a\nb")
                == "ERR Client names cannot contain spaces, newlines or special characters.")
        #expect(error("CLIENT", "SETINFO", "color", "red") == "ERR Unrecognized option 'color'")
        #expect(
            error("CLIENT", "SETINFO", "LIB-VER", "1 0")
                == "ERR lib-ver cannot contain spaces, newlines or special characters.")
        #expect(error("CONFIG", "SET", "save", "") == "ERR unknown subcommand 'SET'. Try CONFIG HELP.")
    }

    @Test func selectAcceptsOnlyDatabaseZero() {
        #expect(error("SELECT", "1") == "ERR DB index is out of range")
        #expect(error("SELECT", "-1") == "ERR DB index is out of range")
        #expect(error("SELECT", "zero") == "ERR value is not an integer or out of range")
    }

    /// The empty string is a value a key can hold, so only the null bulk string says
    /// "absent" (`synod kv cas --from-absent`, or a client library's None/nil).
    @Test func casTakesTheNullBulkStringAsAbsentAndTheEmptyStringAsAValue() throws {
        #expect(try parse("CAS", "k", "", "v") == .write(.cas(key: "k", from: "", to: "v")))
        #expect(try parse("CAS", "k", "v", "") == .write(.cas(key: "k", from: "v", to: "")))
        let request = RESPValue.array([.bulk("CAS"), .bulk("k"), .nullBulkString, .bulk("v")])
        #expect(try ClientCommand(request) == .write(.cas(key: "k", from: nil, to: "v")))
        let delete = RESPValue.array([.bulk("CAS"), .bulk("k"), .bulk("v"), .nullBulkString])
        #expect(try ClientCommand(delete) == .write(.cas(key: "k", from: "v", to: nil)))
        let inline = parseAll(utf8("CAS k \"\" v\r\n")).values[0]
        #expect(try ClientCommand(inline) == .write(.cas(key: "k", from: "", to: "v")))
    }

    @Test func execRunsOnlyWritesUnderAPositiveSessionAndSequence() throws {
        #expect(
            try parse("SYNOD.EXEC", "1", "2", "DEL", "a", "b")
                == .exec(session: 1, sequence: 2, command: .remove(keys: ["a", "b"])))
        #expect(
            try parse("SYNOD.EXEC", "1", "2", "APPEND", "a", "b")
                == .exec(session: 1, sequence: 2, command: .append(key: "a", suffix: "b")))
        #expect(
            try parse("SYNOD.EXEC", "18446744073709551615", "1", "CAS", "k", "", "x")
                == .exec(session: .max, sequence: 1, command: .cas(key: "k", from: "", to: "x")))
        #expect(
            try parse("SYNOD.EXEC", "1", "1", "SET", "k", "v", "XX")
                == .exec(session: 1, sequence: 1, command: .putIf(key: "k", value: "v", exists: true)))
        #expect(
            error("SYNOD.EXEC", "1", "1", "GET", "k")
                == "ERR SYNOD.EXEC runs only writes (SET, DEL, INCR, MSET, ...), not 'get'")
        #expect(
            error("SYNOD.EXEC", "1", "1", "SYNOD.SESSION")
                == "ERR SYNOD.EXEC runs only writes (SET, DEL, INCR, MSET, ...), not 'synod.session'")
        #expect(
            error("SYNOD.EXEC", "1", "1", "NOPE", "x") == "ERR unknown command 'NOPE', with args beginning with: 'x' ")
        #expect(error("SYNOD.EXEC", "0", "1", "INCR", "n") == "ERR session ids and sequence numbers start at 1")
        #expect(error("SYNOD.EXEC", "1", "0", "INCR", "n") == "ERR session ids and sequence numbers start at 1")
        #expect(error("SYNOD.EXEC", "x", "1", "INCR", "n") == "ERR value is not an integer or out of range")
        #expect(error("SYNOD.EXEC", "01", "1", "INCR", "n") == "ERR value is not an integer or out of range")
        #expect(
            error("SYNOD.EXEC", "1", "18446744073709551616", "INCR", "n")
                == "ERR value is not an integer or out of range")
    }

    @Test func keysAndValuesAreAnyBytes() throws {
        let invalid: [UInt8] = [0xC3, 0x28]
        let every = (0...255).map { UInt8($0) }
        #expect(try ClientCommand(arguments: [utf8("GET"), invalid]) == .get(key: ByteString(invalid)))
        #expect(
            try ClientCommand(arguments: [utf8("SET"), every, invalid])
                == .write(.put(key: ByteString(every), value: ByteString(invalid))))
        #expect(
            try ClientCommand(arguments: [utf8("MGET"), utf8("a"), invalid])
                == .mget(keys: ["a", ByteString(invalid)]))
        #expect(
            try ClientCommand(arguments: [utf8("APPEND"), every, every])
                == .write(.append(key: ByteString(every), suffix: ByteString(every))))
        #expect(try ClientCommand(arguments: [utf8("PING"), invalid]) == .ping(message: invalid))
        #expect(try parse("SET", "ключ", "🙂") == .write(.put(key: "ключ", value: "🙂")))
        var encoded: [UInt8] = []
        RESPEncoder.encode(RESPValue(KVReply.value(ByteString(every), version: 1)), into: &encoded)
        #expect(encoded == Array("$256\r\n".utf8) + every + Array("\r\n".utf8))
    }

    @Test func requestsThatAreNotArraysOfBulkStrings() throws {
        #expect(try ClientCommand(.array([])) == nil, "Redis ignores an empty command without answering")
        #expect(try ClientCommand(.array(nil)) == nil)
        #expect(
            throws: ClientCommandError("ERR Protocol error: expected an array of bulk strings, got a simple string")
        ) {
            try ClientCommand(.simpleString("PING"))
        }
        #expect(throws: ClientCommandError("ERR Protocol error: expected bulk strings, got an integer")) {
            try ClientCommand(.array([.bulk("GET"), .integer(1)]))
        }
        #expect(throws: ClientCommandError("ERR Protocol error: null bulk string as argument 1 of 'get'")) {
            try ClientCommand(.array([.bulk("GET"), .nullBulkString]))
        }
        #expect(throws: ClientCommandError("ERR unknown command '', with args beginning with: ")) {
            try ClientCommand(.array([.nullBulkString]))
        }
    }

    @Test func fromTheWireToACommand() throws {
        let (values, error) = parseAll(
            utf8("*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\nincr a\r\nmget a b\r\n"), chunk: 1)
        #expect(error == nil)
        #expect(
            try values.map { try ClientCommand($0) } == [
                .write(.put(key: "a", value: "1")), .write(.increment(key: "a", by: 1)), .mget(keys: ["a", "b"]),
            ])
    }

    // MARK: Replies

    @Test(
        arguments: [
            (KVReply.value("v", version: 3), RESPValue.bulk("v")),
            (.value(nil, version: nil), .nullBulkString),
            (.done, .ok),
            (.applied(true), .ok),
            (.applied(false), .nullBulkString),
            (.integer(-4), .integer(-4)),
            (.sessionOpened(id: 12), .integer(12)),
            (.cas(succeeded: true, current: "b"), .array([.integer(1), .bulk("b")])),
            (.cas(succeeded: false, current: nil), .array([.integer(0), .nullBulkString])),
            (.failed(.notAnInteger), .error("ERR value is not an integer or out of range")),
            (.failed(.overflow), .error("ERR increment or decrement would overflow")),
        ])
    func storeRepliesBecomeWhatRedisClientsExpect(reply: KVReply, expected: RESPValue) {
        #expect(RESPValue(reply) == expected)
    }

    @Test func sessionRepliesBecomeErrorsWithTheirOwnCodes() {
        guard case .error(let expired) = RESPValue(.sessionExpired), case .error(let late) = RESPValue(.outOfOrder)
        else {
            Issue.record("not errors")
            return
        }
        #expect(expired.hasPrefix("SESSIONEXPIRED "))
        #expect(late.hasPrefix("OUTOFORDER "))
    }
}
