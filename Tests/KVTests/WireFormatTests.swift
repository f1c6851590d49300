import KV
import SynodCore
import Testing

/// Requests and replies as bytes: they round-trip, one value has one encoding, and
/// damaged input throws instead of crashing.
@Suite struct WireFormatTests {
    @Test func aPutRequestHasAPinnedLayout() {
        let request = KVRequest(session: 300, sequence: 1, command: .put(key: "k", value: "é"), time: .zero)
        let expected: [UInt8] = [1, 0xAC, 0x02, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x6B, 2, 0xC3, 0xA9]
        #expect(request.encoded() == expected)
    }

    @Test func aReplyHasAPinnedLayout() {
        #expect(KVReply.value("v", version: 7).encoded() == [1, 1, 1, 1, 0x76, 1, 7])
        #expect(KVReply.cas(succeeded: false, current: nil).encoded() == [1, 3, 0, 0])
        #expect(KVReply.outOfOrder.encoded() == [1, 6])
    }

    @Test func theNewCommandsHavePinnedLayouts() {
        let increment = KVRequest(command: .increment(key: "n", by: -2), time: .zero).encoded()
        #expect(increment.suffix(11) == [7, 1, 0x6E, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let putIf = KVRequest(command: .putIf(key: "k", value: "v", exists: true), time: .zero).encoded()
        #expect(putIf.suffix(6) == [8, 1, 0x6B, 1, 0x76, 1])
        let remove = KVRequest(command: .remove(keys: ["a", "b"]), time: .zero).encoded()
        #expect(remove.suffix(6) == [9, 2, 1, 0x61, 1, 0x62])
    }

    /// MSET/MSETNX, GETSET/SET ... GET, GETDEL and FLUSHALL take tags 10 to 13, after
    /// every older one, so that entries written before them still decode as they were.
    @Test func theMultiKeyAndGetAndWriteCommandsHavePinnedLayouts() throws {
        let putAll = KVRequest(
            command: .putAll(
                pairs: [KeyValuePair(key: "a", value: "1"), KeyValuePair(key: "b", value: "")], ifAllAbsent: true),
            time: .zero
        ).encoded()
        #expect(putAll.suffix(10) == [10, 1, 2, 1, 0x61, 1, 0x31, 1, 0x62, 0])
        let getAndPut = KVRequest(command: .getAndPut(key: "k", value: "v", exists: nil), time: .zero).encoded()
        #expect(getAndPut.suffix(6) == [11, 1, 0x6B, 1, 0x76, 0])
        let getAndPutIf = KVRequest(command: .getAndPut(key: "k", value: "v", exists: false), time: .zero).encoded()
        #expect(getAndPutIf.suffix(7) == [11, 1, 0x6B, 1, 0x76, 1, 0])
        let getAndDelete = KVRequest(command: .getAndDelete(key: "k"), time: .zero).encoded()
        #expect(getAndDelete.suffix(3) == [12, 1, 0x6B])
        let removeAll = KVRequest(command: .removeAll, time: .zero).encoded()
        #expect(removeAll == KVRequest(command: .openSession, time: .zero).encoded().dropLast() + [13])
        for command: KVCommand in [
            .putAll(pairs: [], ifAllAbsent: false), .getAndPut(key: "", value: "é", exists: true),
            .getAndDelete(key: "🙂"), .removeAll,
        ] {
            let request = KVRequest(session: 9, sequence: 4, command: command, time: .seconds(3))
            #expect(try KVRequest(decoding: request.encoded()) == request)
        }
    }

    @Test func aPutAllCountBeyondTheInputThrowsBeforeAllocating() {
        var bytes = KVRequest(command: .putAll(pairs: [], ifAllAbsent: false), time: .zero).encoded()
        bytes.removeLast()
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: BinaryDecodingError.truncated(offset: bytes.count - 5)) { try KVRequest(decoding: bytes) }
    }

    @Test func theNewRepliesHavePinnedLayouts() {
        #expect(KVReply.integer(-1).encoded() == [1, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(KVReply.applied(true).encoded() == [1, 8, 1])
        #expect(KVReply.failed(.notAnInteger).encoded() == [1, 9, 1])
        #expect(KVReply.failed(.overflow).encoded() == [1, 9, 2])
        #expect(throws: BinaryDecodingError.invalidValue("failure 3", offset: 2)) { try KVReply(decoding: [1, 9, 3]) }
    }

    @Test func theOldTagsStillDecode() throws {
        let old: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0x78]  // delete "x", as version 1 wrote it
        #expect(try KVRequest(decoding: old).command == .delete(key: "x"))
        #expect(try KVReply(decoding: [1, 2]) == .done)
    }

    @Test func aRemoveCountBeyondTheInputThrowsBeforeAllocating() {
        var bytes = KVRequest(command: .remove(keys: []), time: .zero).encoded()
        bytes.removeLast()
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: BinaryDecodingError.truncated(offset: bytes.count - 5)) { try KVRequest(decoding: bytes) }
    }

    @Test(arguments: 1...4 as ClosedRange<UInt64>)
    func requestsRoundTrip(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let request = random.request()
            #expect(try KVRequest(decoding: request.encoded()) == request, "seed \(seed)")
        }
    }

    @Test(arguments: 1...4 as ClosedRange<UInt64>)
    func repliesRoundTrip(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let reply = random.reply()
            #expect(try KVReply(decoding: reply.encoded()) == reply, "seed \(seed)")
        }
    }

    @Test func everyPrefixOfAnEncodingThrows() {
        var random = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let request = random.request().encoded()
            let reply = random.reply().encoded()
            for count in 0..<request.count {
                #expect(throws: BinaryDecodingError.self) { try KVRequest(decoding: Array(request[..<count])) }
            }
            for count in 0..<reply.count {
                #expect(throws: BinaryDecodingError.self) { try KVReply(decoding: Array(reply[..<count])) }
            }
        }
    }

    @Test func randomBytesThrowOrDecodeToExactlyThoseBytes() {
        var random = SeededGenerator(seed: 12)
        var rejected = 0
        for _ in 0..<5_000 {
            var bytes = random.bytes(count: random.int(0...24))
            if random.chance(0.7), !bytes.isEmpty { bytes[0] = 1 }
            do {
                #expect(try KVRequest(decoding: bytes).encoded() == bytes)
            } catch {
                rejected += 1
            }
            do {
                #expect(try KVReply(decoding: bytes).encoded() == bytes)
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 5_000)
    }

    @Test func anUnknownVersionThrows() {
        var bytes = KVRequest(command: .get(key: "x"), time: .zero).encoded()
        bytes[0] = 2
        #expect(throws: BinaryDecodingError.unknownVersion(2)) { try KVRequest(decoding: bytes) }
        #expect(throws: BinaryDecodingError.unknownVersion(0)) { try KVReply(decoding: [0, 2]) }
    }

    @Test func anUnknownTagThrows() {
        #expect(throws: BinaryDecodingError.unknownTag(10, offset: 1)) { try KVReply(decoding: [1, 10]) }
        var bytes = KVRequest(command: .openSession, time: .zero).encoded()
        bytes[bytes.count - 1] = 0
        #expect(throws: BinaryDecodingError.unknownTag(0, offset: bytes.count - 1)) {
            try KVRequest(decoding: bytes)
        }
    }

    @Test func trailingBytesThrow() {
        let bytes = KVRequest(command: .delete(key: "x"), time: .zero).encoded()
        #expect(throws: BinaryDecodingError.trailingBytes(offset: bytes.count)) {
            try KVRequest(decoding: bytes + [0])
        }
        #expect(throws: BinaryDecodingError.trailingBytes(offset: 2)) { try KVReply(decoding: [1, 2, 2]) }
    }

    /// Keys are bytes: an entry with a key that is not UTF-8 decodes, in the layout a
    /// UTF-8 key always had (its length, then its bytes).
    @Test func aKeyThatIsNotUTF8Decodes() throws {
        let bytes: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0xC3, 0x28]
        let request = try KVRequest(decoding: bytes)
        #expect(request.command == .get(key: ByteString([0xC3, 0x28])))
        #expect(request.encoded() == bytes)
    }
}
