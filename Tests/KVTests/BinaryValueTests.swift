import KV
import SynodCore
import Testing

/// Keys and values are bytes, as in Redis: every byte value, line breaks, NUL and
/// sequences that are not UTF-8 included, goes through the commands and snapshots
/// unchanged, and snapshots written when keys were UTF-8 text still restore.
@Suite struct BinaryValueTests {
    static let everyByte = ByteString((0...255).map { UInt8($0) })
    static let notUTF8 = ByteString([0xFF, 0xC3, 0x28, 0x0D, 0x0A, 0x00])

    @Test func everyByteRoundTripsThroughTheCommandsAndASnapshot() throws {
        var replica = Replica()
        let key = Self.everyByte
        #expect(replica.apply(.put(key: key, value: Self.everyByte)) == .done)
        #expect(replica.apply(.put(key: Self.notUTF8, value: Self.notUTF8)) == .done)
        #expect(replica.apply(.get(key: key)) == .value(Self.everyByte, version: 1))
        #expect(replica.apply(.append(key: key, suffix: Self.notUTF8)) == .integer(262))
        #expect(replica.store.read(key).value == Self.everyByte + Self.notUTF8)
        #expect(replica.apply(.putAll(pairs: [KeyValuePair(key: "\r\n", value: "\0")], ifAllAbsent: false)) == .done)
        #expect(replica.store.keys(matching: KeyPattern("*")) == [Self.everyByte, "\r\n", Self.notUTF8], "byte order")
        #expect(replica.apply(.increment(key: Self.notUTF8, by: 1)) == .failed(.notAnInteger))

        let bytes = replica.store.snapshot()
        let restored = try KVStore(snapshot: bytes)
        #expect(restored.snapshot() == bytes)
        #expect(restored.read(key).value == Self.everyByte + Self.notUTF8)
        #expect(restored.read(Self.notUTF8).value == Self.notUTF8)
        #expect(restored.read("\r\n").value == "\0")

        let request = KVRequest(command: .cas(key: key, from: Self.notUTF8, to: Self.everyByte), time: .zero)
        #expect(try KVRequest(decoding: request.encoded()) == request)
        let reply = KVReply.value(Self.everyByte, version: 3)
        #expect(try KVReply(decoding: reply.encoded()) == reply)
    }

    @Test func keysSortByTheirBytes() {
        // "é" decomposed (65 CC 81) sorts after "f" as a String, before it as bytes.
        #expect(ByteString("e\u{301}") < ByteString("f"))
        #expect(ByteString([0x61]) < ByteString([0x61, 0x00]))
        #expect(ByteString([0x7F]) < ByteString([0x80]))
    }

    /// A version 1 snapshot, as stores wrote them while keys were `String`s: UTF-8 keys
    /// in `String` order, which for text that is not in normal form is not byte order.
    @Test func aVersionOneSnapshotStillRestores() throws {
        var writer = BinaryWriter()
        writer.writeByte(1)
        writer.writeVarint(3)  // applied index
        writer.writeInteger(Int64(60_000_000_000))  // session timeout
        writer.writeOptional(Int64(7_000_000_000)) { $0.writeInteger($1) }  // latest time
        writer.writeVarint(3)
        for (key, value, version) in [("a", "x", 1), ("f", "🙂", 2), ("e\u{301}", "", 3)] as [(String, String, UInt64)] {
            writer.writeString(key)
            writer.writeString(value)
            writer.writeVarint(version)
        }
        writer.writeVarint(0)  // sessions
        let restored = try KVStore(snapshot: writer.bytes)
        #expect(restored.read("a") == ("x", 1))
        #expect(restored.read("f") == ("🙂", 2))
        #expect(restored.read(ByteString([0x65, 0xCC, 0x81])) == ("", 3))
        #expect(restored.appliedIndex == 3)
        #expect(restored.latestTime == .seconds(7))
        let rewritten = restored.snapshot()
        #expect(rewritten.first == 2, "a new snapshot is written in the current format")
        #expect(try KVStore(snapshot: rewritten).snapshot() == rewritten)
    }

    @Test func aVersionOneSnapshotWithKeysOutOfStringOrderIsRefused() {
        var writer = BinaryWriter()
        writer.writeByte(1)
        writer.writeVarint(2)
        writer.writeInteger(Int64(60_000_000_000))
        writer.writeOptional(Int64?.none) { $0.writeInteger($1) }
        writer.writeVarint(2)
        for (key, version) in [("e\u{301}", 1), ("f", 2)] as [(String, UInt64)] {
            writer.writeString(key)
            writer.writeString("v")
            writer.writeVarint(version)
        }
        writer.writeVarint(0)
        #expect(throws: BinaryDecodingError.self) { try KVStore(snapshot: writer.bytes) }
    }

    @Test func textShowsAsTextAndOtherBytesEscaped() {
        #expect(ByteString("k1").description == "k1")
        #expect(String(reflecting: ByteString("k1")) == "\"k1\"")
        #expect(ByteString([0x61, 0xFF, 0x0A, 0x22]).description == "a\\xFF\\x0A\\\"")
        #expect(ByteString([0xFF]).text == nil)
    }
}
