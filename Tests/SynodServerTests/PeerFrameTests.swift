import Raft
import SynodCore
import Testing

@testable import SynodServer

/// Peer frames survive the wire: every kind and every Raft message round-trips, the
/// layout is pinned, and the decoder finds the same frames however the bytes are split.
@Suite struct PeerFrameTests {
    @Test func aHelloHasAPinnedLayout() {
        let frame = PeerFrame.hello(.init(clusterID: "ab", from: 1, to: 300))
        // length 9 | kind 1 | version 3 (UInt16 LE) | "ab" | from 1 | to 300 (varint)
        let expected: [UInt8] = [9, 0, 0, 0, 1, 3, 0, 2, 0x61, 0x62, 1, 0xAC, 0x02]
        #expect(frame.encoded() == expected)
    }

    @Test func anAppendEntriesHasAPinnedLayout() {
        let message = AppendEntries(
            term: 2, prevLogIndex: 5, prevLogTerm: 1,
            entries: [LogEntry(term: 2, index: 6, kind: .command, data: [0xFF])], leaderCommit: 4, round: 7)
        let frame = PeerFrame.raft(Envelope(from: 1, to: 2, message: .appendEntries(message)))
        let expected: [UInt8] = [
            15, 0, 0, 0,  // length
            3,  // kind: raft
            1, 2,  // from, to
            3,  // tag: appendEntries
            2, 5, 1, 4, 7,  // term, prevLogIndex, prevLogTerm, leaderCommit, round
            1,  // entry count
            2, 6, 1, 1, 0xFF,  // term, index, kind, data
        ]
        #expect(frame.encoded() == expected)
    }

    @Test func forwardsHaveAPinnedLayout() {
        #expect(PeerFrame.forward(id: 128, request: [7]).encoded() == [5, 0, 0, 0, 4, 0x80, 0x01, 1, 7])
        #expect(PeerFrame.forwardReply(session: 1, id: 0, reply: []).encoded() == [4, 0, 0, 0, 5, 1, 0, 0])
        #expect(PeerFrame.refused(reason: "").encoded() == [2, 0, 0, 0, 2, 0])
    }

    @Test(arguments: 1...8 as ClosedRange<UInt64>)
    func randomFramesRoundTrip(seed: UInt64) throws {
        var random = RandomFrames(seed: seed)
        for _ in 0..<500 {
            let frame = random.peerFrame()
            let bytes = frame.encoded()
            #expect(bytes.count == frame.encodedSize, "seed \(seed)")
            #expect(Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24 == bytes.count - 4)
            #expect(try decodePeerFrames(bytes) == [frame], "seed \(seed)")
        }
    }

    /// The generator reaches every frame kind and every Raft message, so the random
    /// round trips cover them all.
    @Test func theGeneratorCoversEveryKindAndMessage() {
        var random = RandomFrames(seed: 1)
        var kinds: Set<UInt8> = []
        var tags: Set<UInt8> = []
        for _ in 0..<500 {
            let frame = random.peerFrame()
            kinds.insert(frame.kind.rawValue)
            if case .raft(let envelope) = frame { tags.insert(envelope.message.wireTag.rawValue) }
        }
        #expect(kinds == Set(PeerFrame.Kind.allCases.map(\.rawValue)))
        #expect(tags == Set(RaftMessage.WireTag.allCases.map(\.rawValue)))
    }

    /// Empty and 1 MiB payloads, nil and present optionals, every flag, the largest
    /// values the wire accepts. (One test, not one per argument: the test log would
    /// print every byte of the large ones.)
    @Test func edgeCasesRoundTrip() throws {
        for (number, frame) in PeerFrameTests.edgeCases.enumerated() {
            #expect(try decodePeerFrames(frame.encoded()) == [frame], "edge case \(number)")
        }
    }

    static let edgeCases: [PeerFrame] = {
        let limit: UInt64 = 1 << 62
        let big = Term(limit)
        let bigIndex = LogIndex(limit)
        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        func raft(_ message: RaftMessage) -> PeerFrame {
            .raft(Envelope(from: NodeID(Int(limit)), to: 1, message: message))
        }
        return [
            .hello(.init(protocolVersion: .max, clusterID: "", from: 1, to: 2)),
            .hello(.init(protocolVersion: 0, clusterID: "кластер 🙂", from: 65_536, to: NodeID(Int(limit)))),
            .refused(reason: "cluster id \"b\" does not match"),
            .forward(id: .max, request: []),
            .forwardReply(session: 0, id: 0, reply: large),
            raft(.appendEntries(AppendEntries(term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0))),
            raft(
                .appendEntries(
                    AppendEntries(
                        term: big, prevLogIndex: bigIndex, prevLogTerm: big,
                        entries: [
                            .noop(term: big, index: 1), LogEntry(term: 3, index: 2, data: []),
                            LogEntry(term: 3, index: 3, data: large),
                        ],
                        leaderCommit: bigIndex, round: .max))),
            raft(.requestVote(RequestVote(term: 0, lastLogIndex: 0, lastLogTerm: 0))),
            raft(.requestVote(RequestVote(term: big, lastLogIndex: 1, lastLogTerm: 1, isPreVote: true))),
            raft(.requestVote(RequestVote(term: 2, lastLogIndex: 1, lastLogTerm: 1, isTransfer: true))),
            raft(.requestVoteResponse(RequestVoteResponse(term: 4, granted: true, isPreVote: true))),
            raft(.requestVoteResponse(RequestVoteResponse(term: 4, granted: false))),
            raft(.appendEntriesResponse(.accepted(term: 3, matchIndex: bigIndex))),
            raft(.appendEntriesResponse(.rejected(term: 3, rejectedIndex: 9, conflictIndex: 4, conflictTerm: nil))),
            raft(.appendEntriesResponse(.rejected(term: 3, rejectedIndex: 9, conflictIndex: 4, conflictTerm: big))),
            raft(.timeoutNow(TimeoutNow(term: 12))),
            raft(.readIndexRequest(ReadIndexRequest(term: 1, id: .max))),
            raft(.readIndexResponse(ReadIndexResponse(term: 1, id: 0, index: nil))),
            raft(.readIndexResponse(ReadIndexResponse(term: 1, id: 5, index: 0))),
            raft(
                .installSnapshot(
                    InstallSnapshot(term: 2, lastIndex: 100, lastTerm: 2, offset: 0, data: [], done: false))),
            raft(
                .installSnapshot(
                    InstallSnapshot(
                        term: 2, lastIndex: 100, lastTerm: 2, offset: Int(limit), data: large[17..<4_000], done: true,
                        round: 99))),
            raft(.installSnapshotResponse(InstallSnapshotResponse(term: 2, lastIndex: 100, received: 0, done: false))),
            raft(
                .installSnapshotResponse(
                    InstallSnapshotResponse(term: 2, lastIndex: 100, received: Int(limit), done: true, round: .max))),
        ]
    }()

    @Test func aRoundIsKeptInAnAppendEntriesResponse() throws {
        var response = AppendEntriesResponse.accepted(term: 1, matchIndex: 1)
        response.round = 300
        let frame = PeerFrame.raft(Envelope(from: 2, to: 1, message: .appendEntriesResponse(response)))
        #expect(try decodePeerFrames(frame.encoded()) == [frame])
    }

    @Test func encodeIntoAppendsAfterWhatIsThere() throws {
        let frames = PeerFrameTests.edgeCases
        var bytes: [UInt8] = [0xEE]
        for frame in frames { frame.encode(into: &bytes) }
        #expect(bytes.first == 0xEE)
        #expect(try decodePeerFrames(Array(bytes.dropFirst())) == frames)
        var fresh: [UInt8] = []
        frames[0].encode(into: &fresh)
        #expect(fresh == frames[0].encoded())
    }

    @Test func framesArrivingOneByteAtATimeComeOutWhole() throws {
        var random = RandomFrames(seed: 21)
        let frames = (0..<200).map { _ in random.peerFrame() }
        let bytes = frames.flatMap { $0.encoded() }
        var decoder = PeerFrameDecoder()
        var decoded: [PeerFrame] = []
        for byte in bytes {
            decoder.append(CollectionOfOne(byte))
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
        #expect(decoder.bufferedByteCount == 0)
    }

    /// Random chunk sizes, from one byte to several frames at once, over a stream long
    /// enough to make the decoder compact its buffer many times.
    @Test(arguments: 31...34 as ClosedRange<UInt64>)
    func framesArrivingInRandomSplitsComeOutWhole(seed: UInt64) throws {
        var random = RandomFrames(seed: seed)
        var frames = (0..<600).map { _ in random.peerFrame() }
        frames.insert(PeerFrameTests.edgeCases[4], at: 300)  // a 1 MiB frame in the middle
        let bytes = frames.flatMap { $0.encoded() }
        var decoder = PeerFrameDecoder()
        var decoded: [PeerFrame] = []
        var position = 0
        while position < bytes.count {
            let chunk = min(bytes.count - position, random.chance(0.2) ? random.int(1...70_000) : random.int(1...64))
            decoder.append(bytes[position..<(position + chunk)])
            position += chunk
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames, "seed \(seed)")
        #expect(decoder.bufferedByteCount == 0, "seed \(seed)")
    }

    @Test func manyFramesBackToBackInOneAppend() throws {
        var random = RandomFrames(seed: 22)
        let frames = (0..<5_000).map { _ in random.peerFrame() }
        var bytes: [UInt8] = []
        for frame in frames { frame.encode(into: &bytes) }
        #expect(try decodePeerFrames(bytes) == frames)
    }

    @Test func aPartialFrameWaitsForTheRest() throws {
        let bytes = PeerFrame.refused(reason: "bye").encoded()
        var decoder = PeerFrameDecoder()
        decoder.append(bytes.dropLast())
        #expect(try decoder.next() == nil)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == bytes.count - 1)
        decoder.append(bytes.suffix(1))
        #expect(try decoder.next() == .refused(reason: "bye"))
        #expect(try decoder.next() == nil)
    }

    @Test func aFrameExactlyAtTheLimitIsAccepted() throws {
        let frame = PeerFrame.forward(id: 1, request: [1, 2, 3])
        var decoder = PeerFrameDecoder(maxFrameSize: frame.encodedSize - 4)
        decoder.append(frame.encoded())
        #expect(try decoder.next() == frame)
    }

    @Test func aHelloIsCheckedAgainstTheLocalServer() {
        let hello = PeerFrame.Hello(clusterID: "prod", from: 1, to: 2)
        #expect(hello.refusalReason(clusterID: "prod", localNode: 2) == nil)
        #expect(hello.refusalReason(clusterID: "test", localNode: 2)?.contains("cluster id") == true)
        #expect(hello.refusalReason(clusterID: "prod", localNode: 3)?.contains("not n2") == true)
        let newer = PeerFrame.Hello(protocolVersion: 4, clusterID: "prod", from: 1, to: 2)
        #expect(newer.refusalReason(clusterID: "prod", localNode: 2)?.contains("version 4") == true)
        let older = PeerFrame.Hello(protocolVersion: 2, clusterID: "prod", from: 1, to: 2)
        #expect(older.refusalReason(clusterID: "prod", localNode: 2)?.contains("version 2") == true)
        let loop = PeerFrame.Hello(clusterID: "prod", from: 2, to: 2)
        #expect(loop.refusalReason(clusterID: "prod", localNode: 2) != nil)
    }
}

/// Every frame in `bytes`, which must end on a frame boundary.
func decodePeerFrames(_ bytes: [UInt8], maxFrameSize: Int = PeerFrameDecoder.defaultMaxFrameSize) throws(WireError)
    -> [PeerFrame]
{
    var decoder = PeerFrameDecoder(maxFrameSize: maxFrameSize)
    decoder.append(bytes)
    var frames: [PeerFrame] = []
    while let frame = try decoder.next() { frames.append(frame) }
    #expect(decoder.bufferedByteCount == 0, "bytes left after the last whole frame")
    return frames
}

/// Random frames for property tests, drawn from a seeded generator so that a failure
/// is replayed by its seed. A struct of its own, not an extension of `SeededGenerator`,
/// so that its names cannot collide with other suites' helpers in this target.
struct RandomFrames {
    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    mutating func chance(_ p: Double) -> Bool { random.chance(p) }

    mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }

    /// Small, boundary and arbitrary values up to the wire's limit (2⁶²): varints of every length
    /// that terms, indexes and offsets may take on the wire.
    mutating func wireValue() -> UInt64 {
        switch int(0...3) {
        case 0: UInt64(int(0...200))
        case 1: pick([0, 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), 1 << 62])
        default: (random.next() >> 2) >> UInt64(int(0...61))
        }
    }

    /// Any `UInt64`, for the fields (ids, rounds) that use the whole range.
    mutating func anyUInt64() -> UInt64 { chance(0.2) ? .max : wireValue() }

    mutating func term() -> Term { Term(wireValue()) }
    mutating func index() -> LogIndex { LogIndex(wireValue()) }
    mutating func nodeID() -> NodeID { NodeID(chance(0.8) ? int(1...9) : Int(max(1, wireValue()))) }
    mutating func bool() -> Bool { chance(0.5) }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    mutating func payload() -> [UInt8] {
        bytes(count: chance(0.05) ? int(200...5_000) : int(0...40))
    }

    mutating func text() -> String {
        (0..<int(0...4)).map { _ in pick(["", "a", "prod", "é", "🙂", "\u{0}", " "]) }.joined()
    }

    mutating func entry() -> LogEntry {
        chance(0.2) ? .noop(term: term(), index: index()) : LogEntry(term: term(), index: index(), data: payload())
    }

    mutating func raftMessage() -> RaftMessage {
        switch int(0...8) {
        case 0:
            .requestVote(
                RequestVote(
                    term: term(), lastLogIndex: index(), lastLogTerm: term(), isPreVote: bool(), isTransfer: bool()))
        case 1:
            .requestVoteResponse(RequestVoteResponse(term: term(), granted: bool(), isPreVote: bool()))
        case 2:
            .appendEntries(
                AppendEntries(
                    term: term(), prevLogIndex: index(), prevLogTerm: term(),
                    entries: (0..<(chance(0.3) ? 0 : int(1...12))).map { _ in entry() }, leaderCommit: index(),
                    round: anyUInt64()))
        case 3:
            .appendEntriesResponse(
                {
                    var response = AppendEntriesResponse(
                        term: term(), success: bool(), matchIndex: index(), rejectedIndex: index(),
                        conflictIndex: index(), conflictTerm: chance(0.5) ? nil : term())
                    response.round = anyUInt64()
                    return response
                }())
        case 4:
            .timeoutNow(TimeoutNow(term: term()))
        case 5:
            .readIndexRequest(ReadIndexRequest(term: term(), id: anyUInt64()))
        case 6:
            .readIndexResponse(ReadIndexResponse(term: term(), id: anyUInt64(), index: chance(0.5) ? nil : index()))
        case 7:
            .installSnapshot(
                InstallSnapshot(
                    term: term(), lastIndex: index(), lastTerm: term(), offset: Int(wireValue()),
                    data: payload()[...], done: bool(), round: anyUInt64()))
        default:
            .installSnapshotResponse(
                InstallSnapshotResponse(
                    term: term(), lastIndex: index(), received: Int(wireValue()), done: bool(), round: anyUInt64()))
        }
    }

    mutating func peerFrame() -> PeerFrame {
        switch int(0...9) {
        case 0:
            .hello(
                .init(
                    protocolVersion: chance(0.7) ? 1 : UInt16(truncatingIfNeeded: random.next()), clusterID: text(),
                    from: nodeID(), to: nodeID()))
        case 1: .refused(reason: text())
        case 2: .forward(id: anyUInt64(), request: payload())
        case 3: .forwardReply(session: anyUInt64(), id: anyUInt64(), reply: payload())
        default: .raft(Envelope(from: nodeID(), to: nodeID(), message: raftMessage()))
        }
    }
}
