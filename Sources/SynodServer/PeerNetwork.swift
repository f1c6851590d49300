import Logging
import NIOCore
import NIOPosix
import Raft
import Replication
import SynodCore

/// Single-Socket Channel: one long-lived TCP connection per pair of servers, dialed by
/// the lower id and used both ways, carrying length-prefixed frames in order. Each
/// connection starts with a hello that names the cluster and both ends; a peer of
/// another cluster, or one that expects another server here, is refused and logged.
///
/// Everything runs on the node's event loop (which is why the unchecked `Sendable` is
/// sound: `start` and `stop` hop onto it). Messages to a peer without a live
/// connection are dropped: Raft retries what matters.
final class PeerNetwork: PeerTransport, @unchecked Sendable {
    let node: any PeerInbox
    let configuration: ServerConfiguration
    var logger: Logger
    var channels: [NodeID: any Channel] = [:]
    /// Frames waiting for `flush`, per peer: one buffer and one write per peer per step,
    /// not one per message.
    var pending: [NodeID: [UInt8]] = [:]
    var listener: (any Channel)?
    var stopped = false

    init(node: any PeerInbox, logger: Logger) {
        self.node = node
        self.configuration = node.configuration
        self.logger = logger
    }

    var loop: any EventLoop { node.loop }

    /// Listens on this server's peer address and dials every higher-numbered peer.
    func start() async throws {
        let address = try Self.address(of: configuration.id, in: configuration)
        let bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerHandler(network: self, dialed: nil))
                }
            }
        listener = try await bootstrap.bind(host: address.host, port: address.port).get()
        logger.info("peer port listening on \(address.host):\(address.port)")
        loop.execute { [self] in
            for peer in configuration.members where peer > configuration.id { dial(peer) }
        }
    }

    func stop() {
        loop.execute { [self] in
            stopped = true
            for channel in channels.values { channel.close(promise: nil) }
            listener?.close(promise: nil)
        }
    }

    private func dial(_ peer: NodeID) {
        guard !stopped, let address = try? Self.address(of: peer, in: configuration) else { return }
        let connect = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(1))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerHandler(network: self, dialed: peer))
                }
            }
            .connect(host: address.host, port: address.port)
        connect.whenFailure { [self] _ in redial(peer) }
    }

    /// Tries again a little later (the peer may not be up yet).
    func redial(_ peer: NodeID) {
        guard !stopped else { return }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(200)) { [self] in
            if channels[peer] == nil { dial(peer) }
        }
    }

    // MARK: Sending

    func send(_ envelope: Envelope<RaftMessage>) {
        write(.raft(envelope), to: envelope.to)
    }

    func send(_ envelope: Envelope<ForwardMessage>) {
        switch envelope.message {
        case .request(let id, let item): write(.forward(id: id, request: item.encoded()), to: envelope.to)
        case .reply(let session, let id, let outcome):
            write(.forwardReply(session: session, id: id, reply: outcome.encoded()), to: envelope.to)
        }
    }

    private func write(_ frame: PeerFrame, to peer: NodeID) {
        guard channels[peer] != nil else { return }
        frame.encode(into: &pending[peer, default: []])
    }

    func flush() {
        // Through indices, so that emptying a buffer neither copies the dictionary nor
        // gives up the buffer's capacity.
        for index in pending.indices where !pending.values[index].isEmpty {
            if let channel = channels[pending.keys[index]] {
                channel.writeAndFlush(channel.allocator.buffer(bytes: pending.values[index]), promise: nil)
            }
            pending.values[index].removeAll(keepingCapacity: true)
        }
    }

    // MARK: Connections

    /// A hello arrived on `channel`. Returns the refusal reason, or nil once the
    /// connection is registered as the one to `hello.from`.
    func accept(_ hello: PeerFrame.Hello, on channel: any Channel, dialed: NodeID?) -> String? {
        if let reason = hello.refusalReason(clusterID: configuration.clusterID, localNode: configuration.id) {
            return reason
        }
        guard configuration.peers[hello.from] != nil else { return "\(hello.from) is not a member of this cluster" }
        if let dialed, hello.from != dialed { return "dialed \(dialed) but \(hello.from) answered" }
        if dialed == nil, hello.from > configuration.id {
            return "\(hello.from) should wait for \(configuration.id) to dial it (the lower id dials)"
        }
        if let old = channels[hello.from], old !== channel { old.close(promise: nil) }
        channels[hello.from] = channel
        logger.info("connected to peer \(hello.from)")
        return nil
    }

    func closed(_ channel: any Channel, peer: NodeID?, dialed: NodeID?) {
        if let peer, channels[peer] === channel {
            channels.removeValue(forKey: peer)
            pending[peer]?.removeAll(keepingCapacity: true)
            logger.info("lost the connection to peer \(peer)")
        }
        if let dialed { redial(dialed) }
    }

    static func address(of id: NodeID, in configuration: ServerConfiguration) throws -> (host: String, port: Int) {
        guard let text = configuration.peers[id] else { throw ServerError.badAddress("no address for \(id)") }
        guard let address = parseHostPort(text) else { throw ServerError.badAddress("'\(text)' is not host:port") }
        return address
    }
}

/// One peer connection: decodes frames and hands them to the network and the node.
final class PeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let network: PeerNetwork
    /// The peer this side dialed, or nil for an accepted connection.
    let dialed: NodeID?
    var decoder: PeerFrameDecoder
    var peer: NodeID?

    init(network: PeerNetwork, dialed: NodeID?) {
        self.network = network
        self.dialed = dialed
        self.decoder = PeerFrameDecoder(maxFrameSize: network.configuration.maxFrameSize)
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let dialed else { return }
        let hello = PeerFrame.Hello(
            clusterID: network.configuration.clusterID, from: network.configuration.id, to: dialed)
        let bytes = PeerFrame.hello(hello).encoded()
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        do {
            while let frame = try decoder.next() {
                guard handle(frame, context: context) else { return }
            }
        } catch {
            network.logger.warning("closing the connection from \(peer.map { "\($0)" } ?? "an unknown peer"): \(error)")
            context.close(promise: nil)
        }
    }

    /// Returns false once the connection is being closed.
    private func handle(_ frame: PeerFrame, context: ChannelHandlerContext) -> Bool {
        switch frame {
        case .hello(let hello):
            guard peer == nil else { return refuse("a second hello", context: context) }
            if let reason = network.accept(hello, on: context.channel, dialed: dialed) {
                network.logger.error("refused a peer connection claiming to be \(hello.from): \(reason)")
                return refuse(reason, context: context)
            }
            peer = hello.from
            if dialed == nil {
                let answer = PeerFrame.Hello(
                    clusterID: network.configuration.clusterID, from: network.configuration.id, to: hello.from)
                context.writeAndFlush(
                    wrapOutboundOut(context.channel.allocator.buffer(bytes: PeerFrame.hello(answer).encoded())),
                    promise: nil)
            }
            return true
        case .refused(let reason):
            network.logger.error("peer \(dialed.map { "\($0)" } ?? "?") refused this server: \(reason)")
            context.close(promise: nil)
            return false
        case .raft(let envelope):
            guard let peer, envelope.from == peer, envelope.to == network.configuration.id else {
                return refuse("a message before the hello, or addressed to someone else", context: context)
            }
            network.node.receive(envelope)
            return true
        case .forward(let id, let request):
            guard let peer else { return refuse("a forward before the hello", context: context) }
            guard let item = try? BatchItem(decoding: request) else {
                return refuse("a forwarded write that does not decode", context: context)
            }
            let local = network.configuration.id
            network.node.receive(Envelope(from: peer, to: local, message: .request(id: id, item: item)))
            return true
        case .forwardReply(let session, let id, let reply):
            guard let peer else { return refuse("a forward reply before the hello", context: context) }
            let local = network.configuration.id
            let outcome = WriteOutcome(decoding: reply)
            network.node.receive(
                Envelope(from: peer, to: local, message: .reply(session: session, id: id, outcome: outcome)))
            return true
        }
    }

    private func refuse(_ reason: String, context: ChannelHandlerContext) -> Bool {
        let frame = PeerFrame.refused(reason: reason).encoded()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: frame))).whenComplete { _ in
            channel.close(promise: nil)
        }
        return false
    }

    func channelInactive(context: ChannelHandlerContext) {
        network.closed(context.channel, peer: peer, dialed: dialed)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Why a server could not start.
public enum ServerError: Error, CustomStringConvertible, Sendable {
    case badAddress(String)
    case dataDirectory(String)

    public var description: String {
        switch self {
        case .badAddress(let text): "bad address: \(text)"
        case .dataDirectory(let text): text
        }
    }
}

/// `host:port` → its parts, or nil when `text` is not that (the host must be given,
/// the port must be 1...65535). The one parser for every address Synod reads.
public func parseHostPort(_ text: some StringProtocol) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), colon > text.startIndex,
        let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port)
    else { return nil }
    return (String(text[..<colon]), port)
}
