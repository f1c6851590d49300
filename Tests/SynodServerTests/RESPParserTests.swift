import SynodCore
import SynodServer
import Testing

/// The incremental parser: pipelined commands split anywhere, Redis's inline commands,
/// and hostile input that must end in an error (never a crash, a hang, or a huge
/// allocation).
@Suite struct RESPParserTests {
    /// What `redis-benchmark -P 16` and a person at telnet might send, back to back.
    static let pipeline = utf8(
        "*3\r\n$3\r\nSET\r\n$4\r\nk\r\n1\r\n$0\r\n\r\n"  // a value holding CRLF, an empty one
            + "PING\r\n"
            + "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n"
            + "\r\n"  // an empty inline line: skipped
            + "set a \"b c\"\n"  // inline with a bare LF
            + "*0\r\n"
            + "*-1\r\n"
            + "*1\r\n$-1\r\n"
            + "*2\r\n*1\r\n:5\r\n+OK\r\n")
    static let pipelineValues: [RESPValue] = [
        .array([.bulk("SET"), .bulk("k\r\n1"), .bulk("")]),
        .array([.bulk("PING")]),
        .array([.bulk("GET"), .bulk("k1")]),
        .array([.bulk("set"), .bulk("a"), .bulk("b c")]),
        .array([]),
        .array(nil),
        .array([.nullBulkString]),
        .array([.array([.integer(5)]), .ok]),
    ]

    @Test func aPipelineParsesWholeOrOneByteAtATime() {
        #expect(parseAll(Self.pipeline) == (Self.pipelineValues, nil))
        #expect(parseAll(Self.pipeline, chunk: 1) == (Self.pipelineValues, nil))
    }

    @Test func aPipelineSplitAtEveryByteBoundaryParsesTheSame() throws {
        for split in 0...Self.pipeline.count {
            var parser = RESPParser()
            var values: [RESPValue] = []
            parser.append(Self.pipeline[..<split])
            while let value = try parser.next() { values.append(value) }
            parser.append(Self.pipeline[split...])
            while let value = try parser.next() { values.append(value) }
            #expect(values == Self.pipelineValues, "split at \(split)")
            #expect(!parser.isMidValue)
        }
    }

    @Test func anIncompleteValueWaitsAndKeepsItsProgress() throws {
        var parser = RESPParser()
        parser.append(utf8("*2\r\n$3\r\nGET\r\n$5\r\nab"))
        #expect(try parser.next() == nil)
        #expect(parser.isMidValue)
        #expect(parser.bufferedByteCount == 2, "the headers and the first element are consumed already")
        parser.append(utf8("cde\r\n"))
        #expect(try parser.next() == .array([.bulk("GET"), .bulk("abcde")]))
        #expect(try parser.next() == nil)
        #expect(!parser.isMidValue)
    }

    @Test func aLargeBulkStringArrivingInSmallReadsIsReadOnce() throws {
        let body = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var input = utf8("*1\r\n$1000000\r\n") + body + utf8("\r\n")
        input += utf8("PING\r\n")
        let (values, error) = parseAll(input, chunk: 1_500)
        #expect(error == nil)
        #expect(values == [.array([.bulkString(body)]), .array([.bulk("PING")])])
    }

    @Test func manyPipelinedCommandsParseInOrderAndTheBufferEmpties() throws {
        var input: [UInt8] = []
        for i in 0..<20_000 {
            RESPEncoder.encode(.array([.bulk("SET"), .bulk("key:\(i)"), .bulk("value")]), into: &input)
        }
        var parser = RESPParser()
        var count = 0
        var start = 0
        while start < input.count {
            let end = min(input.count, start + 16_384)
            parser.append(input[start..<end])
            start = end
            while let value = try parser.next() {
                #expect(value == .array([.bulk("SET"), .bulk("key:\(count)"), .bulk("value")]))
                count += 1
            }
        }
        #expect(count == 20_000)
        #expect(parser.bufferedByteCount == 0)
    }

    // MARK: Inline commands

    @Test(
        arguments: [
            ("PING\r\n", ["PING"]),
            ("PING\n", ["PING"]),
            ("  set   a\t1  \r\n", ["set", "a", "1"]),
            ("SET k \"a b\" 'c d'\r\n", ["SET", "k", "a b", "c d"]),
            ("SET k \"\"\r\n", ["SET", "k", ""]),
            ("ECHO \"tab\\there\\n\\\"q\\\"\"\r\n", ["ECHO", "tab\there\n\"q\""]),
            ("ECHO \"\\x41\\x7a\\xZZ\"\r\n", ["ECHO", "Az" + "xZZ"]),
            ("ECHO 'it\\'s' 'a\\b'\r\n", ["ECHO", "it's", "a\\b"]),
            ("ECHO a\"b c\" d\r\n", ["ECHO", "ab c", "d"]),
            ("+PING\r\n", []),
        ])
    func inlineCommandsSplitLikeRedis(line: String, words: [String]) {
        let (values, error) = parseAll(utf8(line))
        #expect(error == nil)
        if words.isEmpty {
            #expect(values == [.simpleString("PING")], "a type byte first is RESP, not inline")
        } else {
            #expect(values == [.array(words.map { .bulk($0) })])
        }
    }

    @Test func blankLinesAreSkippedWithoutAnAnswer() {
        #expect(parseAll(utf8("\r\n\n   \r\n\t\r\nPING\r\n")).values == [.array([.bulk("PING")])])
    }

    @Test(arguments: [
        "SET \"a\r\n", "SET 'a\r\n", "SET \"a\"b\r\n", "SET 'a'b\r\n", "ECHO a\"b c\"d\r\n", "SET \"a\\\"\r\n",
    ])
    func unbalancedQuotesAreAProtocolError(line: String) {
        #expect(parseAll(utf8(line)).error == .unbalancedQuotes)
    }

    @Test func anInlineCommandUpToTheLimitIsAcceptedAndOneByteMoreIsNot() {
        let limits = RESPParser.Limits(maxInlineLength: 100)
        let fits = utf8("ECHO " + String(repeating: "x", count: 95) + "\r\n")
        #expect(parseAll(fits, limits: limits).error == nil)
        let over = utf8("ECHO " + String(repeating: "x", count: 96) + "\r\n")
        #expect(parseAll(over, limits: limits).error == .lineTooLong(limit: 100))
        #expect(parseAll(over, chunk: 1, limits: limits).error == .lineTooLong(limit: 100))
    }

    @Test func anEndlessInlineLineFailsOnceItPassesTheLimitWithoutWaitingForItsEnd() {
        var parser = RESPParser()
        var failed = false
        for _ in 0..<80 {
            parser.append([UInt8](repeating: UInt8(ascii: "a"), count: 1_024))
            do { _ = try parser.next() } catch {
                #expect(error == .lineTooLong(limit: 65_536))
                failed = true
                break
            }
        }
        #expect(failed)
    }

    // MARK: Garbage and limits

    @Test(
        arguments: [
            ("*1\r\n?x\r\n", RESPError.invalidTypeByte(UInt8(ascii: "?"))),
            ("*1\r\nPING\r\n", .invalidTypeByte(UInt8(ascii: "P"))),
            ("$abc\r\n", .invalidBulkLength("abc")),
            ("$-2\r\n", .invalidBulkLength("-2")),
            ("$+3\r\nabc\r\n", .invalidBulkLength("+3")),
            ("$03\r\nabc\r\n", .invalidBulkLength("03")),
            ("$\r\n", .invalidBulkLength("")),
            ("$ 3\r\n", .invalidBulkLength(" 3")),
            ("$99999999999999999999\r\n", .invalidBulkLength("99999999999999999999")),
            ("$\(String(repeating: "9", count: 40))", .invalidBulkLength("too long")),
            ("*-5\r\n", .invalidMultibulkLength("-5")),
            ("*1x\r\n", .invalidMultibulkLength("1x")),
            ("*\u{1}\r\n", .invalidMultibulkLength("\\x01")),
            (":12a\r\n", .invalidInteger("12a")),
            (":-0\r\n", .invalidInteger("-0")),
            ("$3\r\nabcde\r\n", .missingCRLF),
            ("$3\r\nabc\n\n", .missingCRLF),
            ("*1\n$1\r\na\r\n", .missingCRLF),
            ("+OK\n", .missingCRLF),
            ("*1\r\n*1\r\n*1\r\n:1\r\n", .nestingTooDeep(limit: 2)),
        ])
    func garbageIsAProtocolError(input: String, error: RESPError) {
        let limits = RESPParser.Limits(maxDepth: 2)
        #expect(parseAll(utf8(input), limits: limits).error == error)
        #expect(parseAll(utf8(input), chunk: 1, limits: limits).error == error)
    }

    @Test func errorsReadLikeRedisAndAreAnsweredAsERR() {
        #expect(RESPError.invalidTypeByte(0x0A).reply == .error("ERR Protocol error: expected '$', got '\\x0A'"))
        #expect(RESPError.unbalancedQuotes.description == "Protocol error: unbalanced quotes in request")
        #expect(RESPError.invalidMultibulkLength("x").description == "Protocol error: invalid multibulk length 'x'")
    }

    @Test func anErrorIsStickyBecauseTheStreamCannotBeResynchronized() {
        var parser = RESPParser()
        parser.append(utf8("$x\r\n"))
        #expect(throws: RESPError.invalidBulkLength("x")) { try parser.next() }
        parser.append(utf8("PING\r\n"))
        #expect(throws: RESPError.invalidBulkLength("x")) { try parser.next() }
    }

    @Test(
        arguments: [
            ("$16777217\r\n", RESPError.bulkTooLong(length: 16_777_217, limit: 16 << 20)),
            ("*1\r\n$9223372036854775807\r\n", .bulkTooLong(length: .max, limit: 16 << 20)),
            ("*1000001\r\n", .arrayTooLong(count: 1_000_001, limit: 1_000_000)),
            ("*9223372036854775807\r\n", .arrayTooLong(count: .max, limit: 1_000_000)),
        ])
    func hugeDeclaredSizesAreRefusedAtTheHeaderBeforeAnyBodyArrives(header: String, error: RESPError) {
        let limits = RESPParser.Limits(maxBulkLength: 16 << 20, maxArrayLength: 1_000_000)
        #expect(parseAll(utf8(header), limits: limits).error == error)
    }

    @Test func theDefaultBulkLimitIsRedis512MiB() {
        #expect(RESPParser.Limits().maxBulkLength == 512 << 20)
        #expect(parseAll(utf8("$536870913\r\n")).error == .bulkTooLong(length: 536_870_913, limit: 512 << 20))
    }

    @Test func aDeclaredSizeWithinTheLimitReservesNothingUntilTheBytesArrive() throws {
        var parser = RESPParser(limits: .init(maxBulkLength: 16 << 20, maxArrayLength: 1 << 20))
        parser.append(utf8("*1048576\r\n$16777216\r\nabc"))
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 3, "only what was received is held")
        #expect(parser.isMidValue)
    }

    @Test(arguments: 1...4 as ClosedRange<UInt64>)
    func randomBytesEndInValuesAnErrorOrAWaitNeverACrash(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let alphabet = utf8("*$:+-\r\n0123456789-x \"'\\")
        for _ in 0..<3_000 {
            let input = (0..<random.below(40)).map { _ in alphabet[random.below(alphabet.count)] }
            let limits = RESPParser.Limits(maxBulkLength: 64, maxArrayLength: 8, maxInlineLength: 16, maxDepth: 3)
            let whole = parseAll(input, limits: limits)
            let byteByByte = parseAll(input, chunk: 1, limits: limits)
            #expect(whole.values == byteByByte.values, "seed \(seed), input \(input)")
            #expect(whole.error == byteByByte.error, "seed \(seed), input \(input)")
        }
    }

    @Test func integersParseOnlyInCanonicalDecimal() {
        #expect(
            parseAll(utf8(":9223372036854775807\r\n:-9223372036854775808\r\n:0\r\n")).values == [
                .integer(.max), .integer(.min), .integer(0),
            ])
        #expect(parseAll(utf8(":9223372036854775808\r\n")).error == .invalidInteger("9223372036854775808"))
        #expect(parseAll(utf8(":-9223372036854775809\r\n")).error == .invalidInteger("-9223372036854775809"))
        #expect(parseAll(utf8(":+1\r\n")).error == .invalidInteger("+1"))
    }
}
