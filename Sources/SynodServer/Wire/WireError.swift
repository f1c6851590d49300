import SynodCore

/// Why the peer byte stream cannot be read. Every case ends the connection: once one
/// frame is wrong, nothing after it can be trusted, so `PeerFrameDecoder` keeps
/// throwing the same error.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The length prefix announces more than the decoder accepts; the body was not buffered.
    case frameTooLarge(length: Int, limit: Int)
    /// A length prefix of zero: no room for the kind byte.
    case emptyFrame
    /// The kind byte names no `PeerFrame.Kind`.
    case unknownFrameKind(UInt8)
    /// A raft frame whose message tag names no `RaftMessage` case.
    case unknownMessageTag(UInt8)
    /// The body of a frame of a known kind is truncated, has bytes left over, or holds a
    /// value the format forbids (a node id of 0, a count beyond the bytes left, a bool
    /// byte other than 0 or 1…). Offsets in `reason` count from the first body byte.
    case malformedBody(kind: PeerFrame.Kind, reason: BinaryDecodingError)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let limit):
            "peer frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case .emptyFrame:
            "peer frame with a length of 0 (no kind byte)"
        case .unknownFrameKind(let kind):
            "unknown peer frame kind \(kind)"
        case .unknownMessageTag(let tag):
            "unknown raft message tag \(tag)"
        case .malformedBody(let kind, let reason):
            "malformed \(kind) frame body: \(reason)"
        }
    }
}
