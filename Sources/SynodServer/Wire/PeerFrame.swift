import Raft
import SynodCore

/// One unit of the peer protocol: what two `synod` servers exchange on the single
/// long-lived TCP connection between them. The first frame each way is a `hello`;
/// after that come Raft messages and forwarded client requests, in either direction.
///
/// On the wire a frame is `UInt32 length` (little-endian, counting the kind byte and the
/// body), a `UInt8` kind, then the body (docs/protocol.md has the layout of each kind).
///
/// ```swift
/// var bytes: [UInt8] = []
/// PeerFrame.hello(.init(clusterID: "prod", from: 1, to: 2)).encode(into: &bytes)
///
/// var decoder = PeerFrameDecoder()
/// decoder.append(bytes)
/// while let frame = try decoder.next() { print(frame.kind) }
/// ```
public enum PeerFrame: Sendable, Equatable {
    /// The first frame on every connection, sent by both ends.
    case hello(Hello)
    /// Sent just before closing, when the other end's hello is unacceptable.
    case refused(reason: String)
    /// A Raft message, addressed as the core addressed it.
    case raft(Envelope<RaftMessage>)
    /// A follower hands an encoded client request to the leader; `id` matches the reply.
    case forward(id: UInt64, request: [UInt8])
    /// The leader's encoded answer to the forwarded request `id` of the forwarder's
    /// forward `session`.
    case forwardReply(session: UInt64, id: UInt64, reply: [UInt8])

    /// The kind byte that follows the length prefix.
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case hello = 1
        case refused = 2
        case raft = 3
        case forward = 4
        case forwardReply = 5

        public var description: String {
            switch self {
            case .hello: "hello"
            case .refused: "refused"
            case .raft: "raft"
            case .forward: "forward"
            case .forwardReply: "forwardReply"
            }
        }
    }

    /// The bytes before the body: the `UInt32` length prefix and the kind byte.
    public static let headerSize = 5

    public var kind: Kind {
        switch self {
        case .hello: .hello
        case .refused: .refused
        case .raft: .raft
        case .forward: .forward
        case .forwardReply: .forwardReply
        }
    }
}

extension PeerFrame {
    /// Who is calling whom, in which cluster, speaking which protocol version. The
    /// version comes first and the hello layout never changes, so a server can always
    /// read a newer peer's hello and refuse it with a reason.
    public struct Hello: Sendable, Equatable {
        /// The version this code speaks.
        public static let currentProtocolVersion: UInt16 = 3

        public var protocolVersion: UInt16
        /// Guards against wiring two clusters together by a mistyped address.
        public var clusterID: String
        /// The sender of this hello.
        public var from: NodeID
        /// The node the sender believes is at the other end.
        public var to: NodeID

        public init(
            protocolVersion: UInt16 = Hello.currentProtocolVersion, clusterID: String, from: NodeID, to: NodeID
        ) {
            self.protocolVersion = protocolVersion
            self.clusterID = clusterID
            self.from = from
            self.to = to
        }

        /// Why a server `localNode` of cluster `clusterID` must refuse this hello, or nil
        /// to accept it. Whether `from` is a member of the cluster is the caller's check.
        ///
        /// ```swift
        /// if let reason = hello.refusalReason(clusterID: "prod", localNode: 2) {
        ///     PeerFrame.refused(reason: reason).encode(into: &out)  // then close
        /// }
        /// ```
        public func refusalReason(clusterID: String, localNode: NodeID) -> String? {
            if protocolVersion != Self.currentProtocolVersion {
                return "unsupported protocol version \(protocolVersion) (this server speaks "
                    + "\(Self.currentProtocolVersion))"
            }
            if self.clusterID != clusterID {
                return "cluster id \"\(self.clusterID)\" does not match this server's \"\(clusterID)\""
            }
            if to != localNode {
                return "this server is \(localNode), not \(to)"
            }
            if from == localNode {
                return "a hello from \(from) to itself"
            }
            return nil
        }
    }
}
