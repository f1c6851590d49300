import SynodServer
import Testing

/// The client port's parser refuses a request over the value or command limit once it
/// has read it to its end, and goes on with the next one on the same connection.
@Suite struct RESPSizeLimitTests {
    static let limits = RESPParser.Limits(maxValueLength: 10, maxRequestLength: 60)

    /// What `input` parses to, fed in chunks of `chunk` bytes: values, and the text of
    /// every error (parsing goes on after a recoverable one).
    static func parse(_ input: [UInt8], chunk: Int, limits: RESPParser.Limits = limits) -> [String] {
        var parser = RESPParser(limits: limits)
        var seen: [String] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + chunk)
            parser.append(input[start..<end])
            start = end
            while true {
                do {
                    guard let value = try parser.next() else { break }
                    seen.append("\(value)")
                } catch {
                    seen.append("error: \(error)")
                    if !error.isRecoverable { return seen }
                }
            }
        }
        return seen
    }

    static func command(_ words: String...) -> [UInt8] {
        var bytes: [UInt8] = []
        RESPEncoder.encode(.array(words.map { .bulk($0) }), into: &bytes)
        return bytes
    }

    @Test(arguments: [1, 3, 1_000])
    func aValueAtTheLimitIsTakenAndOneByteMoreIsRefusedThenTheNextRequestIsRead(chunk: Int) {
        let input =
            Self.command("SET", "k", "0123456789") + Self.command("SET", "k", "0123456789X")
            + Self.command("GET", "k")
        let seen = Self.parse(input, chunk: chunk)
        #expect(seen.count == 3, "\(seen)")
        #expect(seen.first?.contains("0123456789") == true)
        #expect(seen.dropFirst().first == "error: \(RESPError.valueTooLong(length: 11, limit: 10))")
        #expect(seen.last?.contains("GET") == true)
    }

    @Test(arguments: [1, 7, 1_000])
    func aRequestAtTheCommandLimitIsTakenAndOneByteMoreIsRefused(chunk: Int) throws {
        // *6 (4 bytes), DEL (9), then five keys of n bytes (n + 6 each): 60 bytes, then 61.
        let exact = Self.command("DEL", "aaaa", "bbbb", "ccc", "ddd", "eee")
        let over = Self.command("DEL", "aaaa", "bbbb", "cccc", "ddd", "eee")
        try #require(exact.count == 60 && over.count == 61)
        let seen = Self.parse(exact + over + Self.command("PING"), chunk: chunk)
        #expect(seen.count == 3, "\(seen)")
        #expect(seen.first?.contains("eee") == true)
        #expect(seen.dropFirst().first == "error: \(RESPError.requestTooLong(limit: 60))")
        #expect(seen.last?.contains("PING") == true)
    }

    @Test func manySmallArgumentsCountAgainstTheCommandLimit() {
        let words = ["DEL"] + (0..<20).map { "k\($0)" }
        var bytes: [UInt8] = []
        RESPEncoder.encode(.array(words.map { .bulk($0) }), into: &bytes)
        let seen = Self.parse(bytes + Self.command("PING"), chunk: 5)
        #expect(seen == ["error: \(RESPError.requestTooLong(limit: 60))", "\(RESPValue.array([.bulk("PING")]))"])
    }

    @Test func aRefusedValueIsDiscardedAsItArrivesNotBuffered() throws {
        var parser = RESPParser(limits: .init(maxValueLength: 1_000, maxRequestLength: 2_000))
        parser.append(Array("*2\r\n$3\r\nSET\r\n$1000000\r\n".utf8))
        #expect(try parser.next() == nil)
        for _ in 0..<100 {
            parser.append([UInt8](repeating: 0x41, count: 10_000))
            #expect(try parser.next() == nil)
            #expect(parser.bufferedByteCount == 0, "skipped bytes are not kept")
        }
        parser.append(Array("\r\n*1\r\n$4\r\nPING\r\n".utf8))
        #expect(throws: RESPError.valueTooLong(length: 1_000_000, limit: 1_000)) { try parser.next() }
        #expect(try parser.next() == .array([.bulk("PING")]))
    }

    @Test func aLengthOverTheHardBulkLimitStillClosesTheStream() {
        let limits = RESPParser.Limits(maxBulkLength: 100, maxValueLength: 10, maxRequestLength: 60)
        let seen = Self.parse(Array("*1\r\n$101\r\n".utf8) + Self.command("PING"), chunk: 1_000, limits: limits)
        #expect(seen == ["error: \(RESPError.bulkTooLong(length: 101, limit: 100))"])
    }

    @Test func theRefusalNamesTheLimitAndStartsWithERR() {
        for error in [RESPError.valueTooLong(length: 11, limit: 10), .requestTooLong(limit: 60)] {
            guard case .error(let message) = error.reply else {
                Issue.record("\(error.reply)")
                continue
            }
            #expect(message.hasPrefix("ERR "), "\(message)")
            #expect(message.contains("limit"), "\(message)")
            #expect(error.isRecoverable)
        }
    }
}
