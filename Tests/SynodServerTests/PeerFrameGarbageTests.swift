import Raft
import SynodCore
import Testing

@testable import SynodServer

/// A peer that sends garbage gets a precise `WireError`, never a crash, a hang, or an
/// allocation sized by a number it made up.
@Suite struct PeerFrameGarbageTests {
    /// A frame of `kind` with exactly `body`, length prefix included.
    private func frame(kind: UInt8, body: [UInt8]) -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeInteger(UInt32(1 + body.count))
        writer.writeByte(kind)
        return writer.bytes + body
    }

    /// The error the decoder throws for `bytes`, or nil if it decodes them all.
    private func error(
        decoding bytes: [UInt8], maxFrameSize: Int = PeerFrameDecoder.defaultMaxFrameSize
    ) -> WireError? {
        do throws(WireError) {
            _ = try decodePeerFrames(bytes, maxFrameSize: maxFrameSize)
            return nil
        } catch {
            return error
        }
    }

    @Test func anOversizedLengthIsRejectedFromThePrefixAlone() throws {
        var decoder = PeerFrameDecoder(maxFrameSize: 1_000)
        decoder.append([0xE9, 0x03, 0, 0])  // 1001
        #expect(throws: WireError.frameTooLarge(length: 1_001, limit: 1_000)) { try decoder.next() }
        // Nothing more is buffered, and the error stays.
        decoder.append([UInt8](repeating: 0, count: 10_000))
        #expect(decoder.bufferedByteCount == 0)
        #expect(throws: WireError.frameTooLarge(length: 1_001, limit: 1_000)) { try decoder.next() }
    }

    @Test func theLargestPrefixIsRejectedByTheDefaultLimit() {
        var decoder = PeerFrameDecoder()
        decoder.append([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: WireError.frameTooLarge(length: Int(UInt32.max), limit: 64 << 20)) { try decoder.next() }
    }

    /// A client speaking RESP to the peer port: "*2\r\n" read as a length is ~169 MB.
    @Test func aRESPClientOnThePeerPortIsRefusedAtOnce() {
        var decoder = PeerFrameDecoder()
        decoder.append(Array("*2\r\n$3\r\nGET\r\n".utf8))
        #expect(throws: WireError.frameTooLarge(length: 0x0A0D_322A, limit: 64 << 20)) { try decoder.next() }
    }

    @Test func aZeroLengthIsAnEmptyFrame() {
        #expect(error(decoding: [0, 0, 0, 0]) == .emptyFrame)
    }

    @Test(arguments: [0, 6, 7, 42, 255] as [UInt8])
    func anUnknownKindIsRejectedFromItsFirstByte(kind: UInt8) {
        var decoder = PeerFrameDecoder()
        decoder.append([100, 0, 0, 0, kind])  // the body has not arrived
        #expect(throws: WireError.unknownFrameKind(kind)) { try decoder.next() }
    }

    @Test(arguments: [0, 10, 200] as [UInt8])
    func anUnknownMessageTagIsRejected(tag: UInt8) {
        #expect(error(decoding: frame(kind: 3, body: [1, 2, tag, 1])) == .unknownMessageTag(tag))
    }

    /// Every proper prefix of every body, with a length prefix that matches it, is
    /// truncated input for its kind.
    @Test func everyTruncatedBodyIsMalformed() {
        var random = RandomFrames(seed: 41)
        for _ in 0..<300 {
            let encoded = random.peerFrame().encoded()
            let kind = PeerFrame.Kind(rawValue: encoded[4])!
            let body = Array(encoded[5...])
            for count in 0..<body.count {
                let result = error(decoding: frame(kind: kind.rawValue, body: Array(body[..<count])))
                guard case .malformedBody(kind, .truncated) = result else {
                    let outcome = result.map { "\($0)" } ?? "no error"
                    Issue.record("seed 41: \(kind) body cut to \(count) of \(body.count) bytes: \(outcome)")
                    continue
                }
            }
        }
    }

    @Test func bytesAfterTheBodyAreMalformed() {
        var random = RandomFrames(seed: 42)
        for _ in 0..<300 {
            let encoded = random.peerFrame().encoded()
            let kind = PeerFrame.Kind(rawValue: encoded[4])!
            let body = Array(encoded[5...])
            let result = error(decoding: frame(kind: kind.rawValue, body: body + [0]))
            #expect(result == .malformedBody(kind: kind, reason: .trailingBytes(offset: body.count)), "seed 42")
        }
    }

    @Test func aNodeIDOfZeroIsInvalid() {
        let hello = frame(kind: 1, body: [1, 0, 0, 0, 2])
        guard case .malformedBody(.hello, .invalidValue(let what, offset: 3)) = error(decoding: hello) else {
            Issue.record("a hello from node 0 was not rejected")
            return
        }
        #expect(what.contains("node id 0"))
        let raft = frame(kind: 3, body: [1, 0, 5, 1])
        guard case .malformedBody(.raft, .invalidValue(_, offset: 1)) = error(decoding: raft) else {
            Issue.record("a raft message to node 0 was not rejected")
            return
        }
    }

    /// An entry count of 2^40 in a 12-byte body: truncated, and no 2^40-entry reservation.
    @Test func aHostileEntryCountIsTruncatedInputNotAnAllocation() {
        var writer = BinaryWriter()
        writer.writeBytes([1, 2, 3, 1, 0, 0, 0, 0])  // from, to, tag, term, prev index/term, commit, round
        writer.writeVarint(1 << 40)
        let result = error(decoding: frame(kind: 3, body: writer.bytes))
        #expect(result == .malformedBody(kind: .raft, reason: .truncated(offset: 8)))
    }

    @Test func aHostileByteStringLengthIsTruncatedInput() {
        var writer = BinaryWriter()
        writer.writeVarint(7)  // forward id
        writer.writeVarint(UInt64.max >> 1)  // request length
        let result = error(decoding: frame(kind: 4, body: writer.bytes))
        #expect(result == .malformedBody(kind: .forward, reason: .truncated(offset: 1)))
    }

    @Test func aBoolByteOtherThanZeroOrOneIsInvalid() {
        // requestVoteResponse: term 1, granted 2
        let result = error(decoding: frame(kind: 3, body: [1, 2, 2, 1, 2, 0]))
        #expect(result == .malformedBody(kind: .raft, reason: .invalidValue("bool byte 2", offset: 4)))
    }

    @Test func aTermBeyondTheWireLimitIsInvalid() {
        // Beyond 2^62, a term's or an index's arithmetic in the core could trap.
        var writer = BinaryWriter()
        writer.writeBytes([1, 2, 5])  // timeoutNow
        writer.writeVarint((1 << 62) + 1)
        let result = error(decoding: frame(kind: 3, body: writer.bytes))
        guard case .malformedBody(.raft, .invalidValue(let what, offset: 3)) = result else {
            Issue.record("a term of 2^62 + 1 was accepted")
            return
        }
        #expect(what.contains("term"))
    }

    @Test func anUnknownEntryKindIsInvalid() {
        // appendEntries with one entry of kind 9
        let body: [UInt8] = [1, 2, 3, 1, 0, 0, 0, 0, 1, 1, 1, 9, 0]
        let result = error(decoding: frame(kind: 3, body: body))
        guard case .malformedBody(.raft, .invalidValue(let what, offset: 11)) = result else {
            Issue.record("an entry of kind 9 was accepted")
            return
        }
        #expect(what.contains("kind 9"))
    }

    @Test func aClusterIDThatIsNotUTF8IsMalformed() {
        let result = error(decoding: frame(kind: 1, body: [1, 0, 1, 0xFF, 1, 2]))
        #expect(result == .malformedBody(kind: .hello, reason: .invalidUTF8(offset: 2)))
    }

    @Test func aVarintThatIsNotInShortestFormIsMalformed() {
        let result = error(decoding: frame(kind: 5, body: [0x81, 0x00, 0]))
        #expect(result == .malformedBody(kind: .forwardReply, reason: .malformedVarint(offset: 0)))
    }

    @Test func framesBeforeTheBadOneAreDeliveredThenTheErrorSticks() throws {
        var bytes = PeerFrame.refused(reason: "one").encoded()
        PeerFrame.forward(id: 2, request: [2]).encode(into: &bytes)
        bytes += [0, 0, 0, 0]
        PeerFrame.refused(reason: "never").encode(into: &bytes)
        var decoder = PeerFrameDecoder()
        decoder.append(bytes)
        #expect(try decoder.next() == .refused(reason: "one"))
        #expect(try decoder.next() == .forward(id: 2, request: [2]))
        #expect(throws: WireError.emptyFrame) { try decoder.next() }
        #expect(throws: WireError.emptyFrame) { try decoder.next() }
        #expect(decoder.bufferedByteCount == 0)
    }

    /// Random bytes, fed in random pieces: the decoder returns frames, asks for more or
    /// throws, and the loop always ends.
    @Test(arguments: 51...54 as ClosedRange<UInt64>)
    func randomBytesNeverCrashOrHang(seed: UInt64) {
        var random = RandomFrames(seed: seed)
        var failures = 0
        for _ in 0..<2_000 {
            var bytes = random.bytes(count: random.int(0...64))
            if random.chance(0.5), bytes.count >= 5 {
                // A plausible header, so that bodies get parsed too.
                let length = UInt32(random.int(1...(bytes.count - 4)))
                bytes[0] = UInt8(length)
                bytes[1] = 0
                bytes[2] = 0
                bytes[3] = 0
                bytes[4] = UInt8(random.int(1...5))
                if bytes[4] == 3, bytes.count > 7 { bytes[7] = UInt8(random.int(1...9)) }
            }
            var decoder = PeerFrameDecoder(maxFrameSize: 4_096)
            var position = 0
            do throws(WireError) {
                while position < bytes.count {
                    let chunk = random.int(1...(bytes.count - position))
                    decoder.append(bytes[position..<(position + chunk)])
                    position += chunk
                    while try decoder.next() != nil {}
                }
            } catch {
                failures += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(failures > 1_000, "seed \(seed)")
    }

    @Test func errorsDescribeThemselves() {
        #expect(
            WireError.frameTooLarge(length: 9, limit: 8).description
                == "peer frame of 9 bytes exceeds the limit of 8 bytes")
        #expect(WireError.unknownFrameKind(9).description == "unknown peer frame kind 9")
        #expect(WireError.unknownMessageTag(12).description == "unknown raft message tag 12")
        #expect(
            WireError.malformedBody(kind: .raft, reason: .truncated(offset: 3)).description
                == "malformed raft frame body: input truncated at byte 3")
    }
}

extension BinaryWriter {
    fileprivate mutating func writeBytes(_ bytes: [UInt8]) {
        for byte in bytes { writeByte(byte) }
    }
}
