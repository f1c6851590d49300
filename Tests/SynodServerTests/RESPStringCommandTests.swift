import KV
import SynodServer
import Testing

/// The string and key-space commands Redis users reach for, parsed and answered as
/// Redis parses and answers them (replies and error texts from the redis.io pages).
@Suite struct RESPStringCommandTests {
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

    private func pairs(_ list: KeyValuePairs<String, String>) -> [KeyValuePair] {
        list.map { KeyValuePair(key: ByteString($0.key), value: ByteString($0.value)) }
    }

    @Test func countersTakeACanonicalSigned64BitAmount() throws {
        #expect(try parse("INCRBY", "n", "5") == .write(.increment(key: "n", by: 5)))
        #expect(try parse("incrby", "n", "-5") == .write(.increment(key: "n", by: -5)))
        #expect(try parse("DECR", "n") == .write(.increment(key: "n", by: -1)))
        #expect(try parse("DECRBY", "n", "7") == .write(.increment(key: "n", by: -7)))
        #expect(try parse("DECRBY", "n", "-9223372036854775807") == .write(.increment(key: "n", by: .max)))
        #expect(try parse("INCRBY", "n", "-9223372036854775808") == .write(.increment(key: "n", by: .min)))
        for amount in ["x", "1.5", "+1", "01", "9223372036854775808", ""] {
            #expect(error("INCRBY", "n", amount) == "ERR value is not an integer or out of range", "\(amount)")
            #expect(error("DECRBY", "n", amount) == "ERR value is not an integer or out of range", "\(amount)")
        }
        #expect(error("DECRBY", "n", "-9223372036854775808") == "ERR decrement would overflow")
    }

    @Test func setnxAndMsetnxAnswerOneOrZero() throws {
        #expect(
            try parse("SETNX", "k", "v") == .write(.putIf(key: "k", value: "v", exists: false), applied: .oneOrZero))
        #expect(
            try parse("MSETNX", "a", "1", "b", "2")
                == .write(.putAll(pairs: pairs(["a": "1", "b": "2"]), ifAllAbsent: true), applied: .oneOrZero))
        #expect(RESPValue(.applied(true), applied: .oneOrZero) == .integer(1))
        #expect(RESPValue(.applied(false), applied: .oneOrZero) == .integer(0))
        #expect(RESPValue(.applied(false)) == .nullBulkString, "SET NX keeps its null")
    }

    @Test func msetTakesPairsInOrder() throws {
        #expect(
            try parse("MSET", "a", "1", "b", "2", "a", "3")
                == .write(.putAll(pairs: pairs(["a": "1", "b": "2", "a": "3"]), ifAllAbsent: false)))
        #expect(RESPValue(.done) == .ok)
    }

    @Test func getAndWriteCommands() throws {
        #expect(try parse("GETSET", "k", "v") == .write(.getAndPut(key: "k", value: "v", exists: nil)))
        #expect(try parse("GETDEL", "k") == .write(.getAndDelete(key: "k")))
        #expect(try parse("SET", "k", "v", "GET") == .write(.getAndPut(key: "k", value: "v", exists: nil)))
        #expect(try parse("SET", "k", "v", "nx", "get") == .write(.getAndPut(key: "k", value: "v", exists: false)))
        #expect(try parse("SET", "k", "v", "GET", "XX") == .write(.getAndPut(key: "k", value: "v", exists: true)))
        #expect(try parse("SET", "k", "v", "GET", "KEEPTTL") == .write(.getAndPut(key: "k", value: "v", exists: nil)))
        #expect(error("SET", "k", "v", "GET", "NX", "XX") == "ERR syntax error")
        #expect(RESPValue(.value("old", version: 3)) == .bulk("old"))
        #expect(RESPValue(.value(nil, version: nil)) == .nullBulkString)
    }

    @Test func flushallTakesAsyncOrSync() throws {
        #expect(try parse("FLUSHALL") == .write(.removeAll))
        #expect(try parse("flushall", "async") == .write(.removeAll))
        #expect(try parse("FLUSHALL", "SYNC") == .write(.removeAll))
        #expect(try parse("FLUSHDB") == .write(.removeAll), "one database: FLUSHDB is FLUSHALL")
        #expect(error("FLUSHALL", "NOW") == "ERR syntax error")
        #expect(error("FLUSHALL", "ASYNC", "x") == "ERR syntax error", "Redis words extra arguments so too")
    }

    @Test func keySpaceReads() throws {
        #expect(try parse("STRLEN", "k") == .strlen(key: "k"))
        #expect(try parse("DBSIZE") == .dbsize)
        #expect(try parse("KEYS", "user:*") == .keys(pattern: KeyPattern("user:*")))
        #expect(try parse("SCAN", "0") == .scan(cursor: 0, pattern: nil, count: 10, typeMatches: true))
        #expect(
            try parse("SCAN", "17", "match", "a*", "COUNT", "100")
                == .scan(cursor: 17, pattern: KeyPattern("a*"), count: 100, typeMatches: true))
        #expect(
            try parse("SCAN", "18446744073709551615", "MATCH", "*")
                == .scan(cursor: .max, pattern: nil, count: 10, typeMatches: true), "* filters nothing")
        #expect(
            try parse("SCAN", "0", "TYPE", "String") == .scan(cursor: 0, pattern: nil, count: 10, typeMatches: true))
        #expect(try parse("SCAN", "0", "TYPE", "hash") == .scan(cursor: 0, pattern: nil, count: 10, typeMatches: false))
        #expect(error("SCAN", "x") == "ERR invalid cursor")
        #expect(error("SCAN", "-1") == "ERR invalid cursor")
        #expect(error("SCAN", "0", "COUNT", "0") == "ERR syntax error")
        #expect(error("SCAN", "0", "COUNT", "x") == "ERR value is not an integer or out of range")
        #expect(error("SCAN", "0", "MATCH") == "ERR syntax error")
        #expect(error("SCAN", "0", "LIMIT", "3") == "ERR syntax error")
    }

    @Test(
        arguments: [
            (["INCRBY", "n"], "incrby"), (["DECR"], "decr"), (["DECRBY", "n"], "decrby"), (["STRLEN"], "strlen"),
            (["GETSET", "k"], "getset"), (["GETDEL"], "getdel"), (["SETNX", "k"], "setnx"), (["MSET"], "mset"),
            (["MSET", "a"], "mset"), (["MSET", "a", "1", "b"], "mset"), (["MSETNX", "a"], "msetnx"),
            (["DBSIZE", "x"], "dbsize"), (["KEYS"], "keys"), (["KEYS", "a", "b"], "keys"), (["SCAN"], "scan"),
            (["SYNOD.EXEC", "1", "1", "MSET", "a"], "mset"),
        ])
    func wrongArityIsWordedLikeRedis(words: [String], name: String) {
        #expect(throws: ClientCommandError("ERR wrong number of arguments for '\(name)' command")) {
            try ClientCommand(arguments: words.map(utf8))
        }
    }

    @Test func everyNewWriteRunsUnderASession() throws {
        #expect(
            try parse("SYNOD.EXEC", "1", "2", "MSET", "a", "1")
                == .exec(session: 1, sequence: 2, command: .putAll(pairs: pairs(["a": "1"]), ifAllAbsent: false)))
        #expect(
            try parse("SYNOD.EXEC", "1", "2", "SETNX", "a", "1")
                == .exec(
                    session: 1, sequence: 2, command: .putIf(key: "a", value: "1", exists: false), applied: .oneOrZero))
        #expect(
            try parse("SYNOD.EXEC", "1", "3", "DECRBY", "n", "2")
                == .exec(session: 1, sequence: 3, command: .increment(key: "n", by: -2)))
        #expect(try parse("SYNOD.EXEC", "1", "4", "FLUSHALL") == .exec(session: 1, sequence: 4, command: .removeAll))
        #expect(
            error("SYNOD.EXEC", "1", "1", "KEYS", "*")
                == "ERR SYNOD.EXEC runs only writes (SET, DEL, INCR, MSET, ...), not 'keys'")
    }
}
