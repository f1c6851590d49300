import SynodCore
import SynodServer
import Testing

/// The encoder writes RESP2 byte for byte as Redis does, and whatever it writes the
/// parser reads back as the same value.
@Suite struct RESPValueTests {
    @Test(
        arguments: [
            (RESPValue.ok, "+OK\r\n"),
            (.simpleString(""), "+\r\n"),
            (.error("ERR syntax error"), "-ERR syntax error\r\n"),
            (.integer(0), ":0\r\n"),
            (.integer(-42), ":-42\r\n"),
            (.integer(.max), ":9223372036854775807\r\n"),
            (.integer(.min), ":-9223372036854775808\r\n"),
            (.bulk("GET"), "$3\r\nGET\r\n"),
            (.bulk("é"), "$2\r\né\r\n"),
            (.bulkString([]), "$0\r\n\r\n"),
            (.nullBulkString, "$-1\r\n"),
            (.array(nil), "*-1\r\n"),
            (.array([]), "*0\r\n"),
            (.array([.integer(1), .array([.bulk("a"), .nullBulkString])]), "*2\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n"),
        ])
    func eachValueHasItsRedisEncoding(value: RESPValue, text: String) {
        #expect(RESPEncoder.encode(value) == utf8(text))
        #expect(parseAll(utf8(text)).values == [value])
    }

    @Test func theHelpersWriteWhatEncodeWrites() {
        var helpers: [UInt8] = []
        RESPEncoder.encodeOK(into: &helpers)
        RESPEncoder.encodeSimpleString("PONG", into: &helpers)
        RESPEncoder.encodeError("ERR x", into: &helpers)
        RESPEncoder.encodeInteger(-7, into: &helpers)
        RESPEncoder.encodeBulkString(utf8("v"), into: &helpers)
        RESPEncoder.encodeBulkString(nil as [UInt8]?, into: &helpers)
        RESPEncoder.encodeBulkString("🙂", into: &helpers)
        RESPEncoder.encodeBulkString(nil as String?, into: &helpers)
        RESPEncoder.encodeBulkString(utf8("xyz")[1...], into: &helpers)
        RESPEncoder.encodeArrayHeader(count: 0, into: &helpers)
        RESPEncoder.encodeArrayHeader(count: nil, into: &helpers)
        let values: [RESPValue] = [
            .ok, .simpleString("PONG"), .error("ERR x"), .integer(-7), .bulk("v"), .nullBulkString, .bulk("🙂"),
            .nullBulkString, .bulk("yz"), .array([]), .array(nil),
        ]
        var expected: [UInt8] = []
        for value in values { RESPEncoder.encode(value, into: &expected) }
        #expect(helpers == expected)
    }

    @Test func lineBreaksInSimpleStringsAndErrorsBecomeSpaces() {
        #expect(RESPEncoder.encode(.error("ERR a\r\nb")) == utf8("-ERR a  b\r\n"))
        #expect(RESPEncoder.encode(.simpleString("x\ny")) == utf8("+x y\r\n"))
        #expect(RESPEncoder.encode(.bulk("x\r\ny")) == utf8("$4\r\nx\r\ny\r\n"), "a bulk string carries any bytes")
    }

    @Test(arguments: 1...6 as ClosedRange<UInt64>)
    func randomValuesRoundTripWholeAndByteByByte(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let values = (0..<200).map { _ in random.respValue() }
        var bytes: [UInt8] = []
        for value in values { RESPEncoder.encode(value, into: &bytes) }
        #expect(parseAll(bytes).values == values, "seed \(seed)")
        #expect(parseAll(bytes, chunk: 1).values == values, "seed \(seed)")
        #expect(parseAll(bytes, chunk: 7).values == values, "seed \(seed)")
    }

    @Test func descriptionsReadLikeRedisCLI() {
        #expect(RESPValue.integer(3).description == "(integer) 3")
        #expect(RESPValue.nullBulkString.description == "(nil)")
        #expect(RESPValue.array([.bulk("a"), .error("ERR x")]).description == "[\"a\", (error) ERR x]")
    }
}
