import Raft
import SynodCore

/// Cuts a peer byte stream into `PeerFrame`s, however the bytes arrive: feed what the
/// socket delivers to `append(_:)`, then call `next()` until it returns nil.
///
/// A frame whose length prefix exceeds `maxFrameSize` is refused from its first four
/// bytes, before any of its body is buffered; an unknown kind from its fifth byte.
/// After the first error the decoder drops its buffer and every later `next()` throws
/// the same error: the connection must be closed.
///
/// ```swift
/// var decoder = PeerFrameDecoder(maxFrameSize: 16 << 20)
/// decoder.append(received)
/// while let frame = try decoder.next() {
///     handle(frame)
/// }
/// ```
public struct PeerFrameDecoder: Sendable {
    /// 64 MiB: room for a large AppendEntries batch or snapshot chunk.
    public static let defaultMaxFrameSize = 64 << 20

    /// The largest length prefix accepted: the kind byte plus the body, not counting
    /// the four prefix bytes themselves.
    public let maxFrameSize: Int

    private var buffer: [UInt8] = []
    /// Where the next frame starts; the bytes before it are consumed.
    private var readIndex = 0
    private var failure: WireError?

    /// Consumed bytes are moved out of the buffer once there are this many of them and
    /// they make up at least half of it, so that compaction costs O(1) a byte.
    private static let compactionThreshold = 64 << 10
    /// An emptied buffer keeps at most this much capacity, so one huge frame does not
    /// pin its memory for the life of the connection.
    private static let retainedCapacity = 1 << 20

    public init(maxFrameSize: Int = PeerFrameDecoder.defaultMaxFrameSize) {
        precondition(maxFrameSize >= 1, "maxFrameSize must leave room for the kind byte")
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds bytes received from the peer. Ignored once the decoder has failed.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard failure == nil else { return }
        if readIndex >= Self.compactionThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    ///
    /// - Complexity: O(n) in the size of the frame returned; the bytes of frames not
    ///   yet complete are not re-examined beyond their five header bytes.
    public mutating func next() throws(WireError) -> PeerFrame? {
        if let failure { throw failure }
        do {
            return try decodeNext()
        } catch {
            failure = error
            buffer = []
            readIndex = 0
            throw error
        }
    }

    private mutating func decodeNext() throws(WireError) -> PeerFrame? {
        let available = bufferedByteCount
        guard available >= 4 else { return nil }
        var length = 0
        for position in 0..<4 {
            length |= Int(buffer[readIndex + position]) << (8 * position)
        }
        guard length > 0 else { throw .emptyFrame }
        guard length <= maxFrameSize else { throw .frameTooLarge(length: length, limit: maxFrameSize) }
        guard available >= 5 else { return nil }
        let kindByte = buffer[readIndex + 4]
        guard let kind = PeerFrame.Kind(rawValue: kindByte) else { throw .unknownFrameKind(kindByte) }
        // No capacity is reserved from the announced length: a peer that announces
        // a large frame gets only the memory of the bytes it actually sends.
        guard available >= 4 + length else { return nil }
        let body = Array(buffer[(readIndex + PeerFrame.headerSize)..<(readIndex + 4 + length)])
        readIndex += 4 + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
        }
        return try PeerFrame(kind: kind, body: body)
    }
}

extension PeerFrame {
    /// Decodes the body of one frame whose kind byte was `kind`; every byte of `body`
    /// must belong to it.
    init(kind: Kind, body: [UInt8]) throws(WireError) {
        var reader = BinaryReader(body)
        do throws(BinaryDecodingError) {
            self = try Self.readBody(kind: kind, from: &reader)
            try reader.expectEnd()
        } catch .unknownTag(let tag, _) {
            throw .unknownMessageTag(tag)
        } catch {
            throw .malformedBody(kind: kind, reason: error)
        }
    }

    private static func readBody(kind: Kind, from reader: inout BinaryReader) throws(BinaryDecodingError) -> PeerFrame {
        switch kind {
        case .hello:
            return .hello(
                Hello(
                    protocolVersion: try reader.readInteger(UInt16.self), clusterID: try reader.readString(),
                    from: try reader.readNodeID(), to: try reader.readNodeID()))
        case .refused:
            return .refused(reason: try reader.readString())
        case .raft:
            let from = try reader.readNodeID()
            let to = try reader.readNodeID()
            return .raft(Envelope(from: from, to: to, message: try RaftMessage(wireReader: &reader)))
        case .forward:
            return .forward(id: try reader.readVarint(), request: try reader.readByteString())
        case .forwardReply:
            return .forwardReply(
                session: try reader.readVarint(), id: try reader.readVarint(), reply: try reader.readByteString())
        }
    }
}
