import SynodCore
import Testing

/// The binary codec under everything on disk and on the wire: exact bytes for the
/// edge cases, and errors, never traps, on bad input.
@Suite struct BinaryCodecTests {
    @Test(
        arguments: [
            (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
            (16_383, [0xFF, 0x7F]), (16_384, [0x80, 0x80, 0x01]),
            (UInt64(Int64.max), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ] as [(UInt64, [UInt8])])
    func varintEdgeCases(value: UInt64, bytes: [UInt8]) throws {
        var writer = BinaryWriter()
        writer.writeVarint(value)
        #expect(writer.bytes == bytes)
        var reader = BinaryReader(bytes)
        #expect(try reader.readVarint() == value)
        #expect(reader.isAtEnd)
    }

    @Test func varintsRoundTripAroundEverySevenBitBoundary() throws {
        var writer = BinaryWriter()
        var values: [UInt64] = []
        for shift in stride(from: 7, through: 63, by: 7) {
            let boundary = UInt64(1) << UInt64(shift)
            values += [boundary - 1, boundary, boundary + 1]
        }
        for value in values { writer.writeVarint(value) }
        var reader = BinaryReader(writer.bytes)
        for value in values { #expect(try reader.readVarint() == value) }
        try reader.expectEnd()
    }

    @Test(
        arguments: [
            ([0x80], BinaryDecodingError.truncated(offset: 1)),
            ([], .truncated(offset: 0)),
            ([0x80, 0x00], .malformedVarint(offset: 0)),
            ([0xFF, 0x80, 0x00], .malformedVarint(offset: 0)),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], .malformedVarint(offset: 0)),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00], .malformedVarint(offset: 0)),
            (Array(repeating: 0x80, count: 12), .malformedVarint(offset: 0)),
        ] as [([UInt8], BinaryDecodingError)])
    func badVarintsThrow(bytes: [UInt8], error: BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        #expect(throws: error) { try reader.readVarint() }
    }

    @Test func fixedWidthIntegersAreLittleEndian() throws {
        var writer = BinaryWriter()
        writer.writeInteger(UInt32(0x0102_0304))
        writer.writeInteger(Int64(-2))
        writer.writeInteger(Int16.min)
        writer.writeInteger(UInt8(9))
        #expect(writer.bytes == [4, 3, 2, 1, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x80, 9])
        var reader = BinaryReader(writer.bytes)
        #expect(try reader.readInteger(UInt32.self) == 0x0102_0304)
        #expect(try reader.readInteger(Int64.self) == -2)
        #expect(try reader.readInteger(Int16.self) == .min)
        #expect(try reader.readInteger(UInt8.self) == 9)
        #expect(reader.remainingCount == 0)
        #expect(throws: BinaryDecodingError.truncated(offset: 15)) { try reader.readInteger(Int8.self) }
    }

    @Test func randomFixedWidthIntegersRoundTrip() throws {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<1_000 {
            let (a, b, c) = (
                Int64(bitPattern: random.next()), UInt32(truncatingIfNeeded: random.next()),
                Int8(truncatingIfNeeded: random.next())
            )
            var writer = BinaryWriter()
            writer.writeInteger(a)
            writer.writeInteger(b)
            writer.writeInteger(c)
            #expect(writer.bytes.count == 13)
            var reader = BinaryReader(writer.bytes)
            #expect(try reader.readInteger(Int64.self) == a)
            #expect(try reader.readInteger(UInt32.self) == b)
            #expect(try reader.readInteger(Int8.self) == c)
        }
    }

    @Test func aTruncatedIntegerThrowsAndConsumesNothing() {
        var reader = BinaryReader([1, 2, 3])
        #expect(throws: BinaryDecodingError.truncated(offset: 0)) { try reader.readInteger(UInt32.self) }
        #expect(reader.offset == 0)
    }

    @Test func stringsAndByteStringsAreLengthPrefixed() throws {
        var writer = BinaryWriter()
        writer.writeString("")
        writer.writeString("é🙂")
        writer.writeByteString([0, 255])
        #expect(writer.bytes == [0, 6, 0xC3, 0xA9, 0xF0, 0x9F, 0x99, 0x82, 2, 0, 255])
        var reader = BinaryReader(writer.bytes)
        #expect(try reader.readString() == "")
        #expect(try reader.readString() == "é🙂")
        #expect(try reader.readByteString() == [0, 255])
        try reader.expectEnd()
    }

    @Test func aStringKeepsItsExactBytes() throws {
        var writer = BinaryWriter()
        writer.writeString("e\u{301}")
        var reader = BinaryReader(writer.bytes)
        #expect(Array(try reader.readString().utf8) == [0x65, 0xCC, 0x81], "decomposed stays decomposed")
    }

    @Test func aLengthBeyondTheInputThrowsBeforeAllocating() {
        var reader = BinaryReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x41])
        #expect(throws: BinaryDecodingError.truncated(offset: 0)) { try reader.readByteString() }
        var short = BinaryReader([3, 0x41, 0x42])
        #expect(throws: BinaryDecodingError.truncated(offset: 0)) { try short.readString() }
        var count = BinaryReader([2, 0])
        #expect(throws: BinaryDecodingError.truncated(offset: 0)) { try count.readCount() }
    }

    @Test func invalidUTF8Throws() {
        var reader = BinaryReader([2, 0xC3, 0x28])
        #expect(throws: BinaryDecodingError.invalidUTF8(offset: 0)) { try reader.readString() }
        var surrogate = BinaryReader([3, 0xED, 0xA0, 0x80])
        #expect(throws: BinaryDecodingError.invalidUTF8(offset: 0)) { try surrogate.readString() }
    }

    @Test func optionalsAndBoolsTakeOnlyZeroOrOne() throws {
        var writer = BinaryWriter()
        writer.writeOptional(nil as UInt64?) { $0.writeVarint($1) }
        writer.writeOptional(UInt64(128)) { $0.writeVarint($1) }
        writer.writeBool(true)
        #expect(writer.bytes == [0, 1, 0x80, 0x01, 1])
        var reader = BinaryReader(writer.bytes)
        #expect(try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readVarint() } == nil)
        #expect(try reader.readOptional { reader throws(BinaryDecodingError) in try reader.readVarint() } == 128)
        #expect(try reader.readBool())
        var bad = BinaryReader([2, 0])
        #expect(throws: BinaryDecodingError.invalidValue("bool byte 2", offset: 0)) {
            try bad.readOptional { reader throws(BinaryDecodingError) in try reader.readVarint() }
        }
    }

    @Test func expectEndNamesWhereTheExtraBytesStart() throws {
        var reader = BinaryReader([1, 2])
        _ = try reader.readByte()
        #expect(throws: BinaryDecodingError.trailingBytes(offset: 1)) { try reader.expectEnd() }
        _ = try reader.readByte()
        try reader.expectEnd()
        #expect(throws: BinaryDecodingError.truncated(offset: 2)) { try reader.readByte() }
    }

    @Test func errorsDescribeWhereTheyHappened() {
        #expect(BinaryDecodingError.truncated(offset: 3).description == "input truncated at byte 3")
        #expect(BinaryDecodingError.unknownTag(9, offset: 1).description == "unknown tag 9 at byte 1")
        #expect(BinaryDecodingError.unknownVersion(4).description == "unknown format version 4")
    }
}
