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
/// A link cut without a reset is found by silence (`SilenceDetector`): a peer that owes
/// an answer and sends nothing for about three election timeouts is closed and dialed
/// again, so a healed link carries traffic within a second instead of when TCP's
/// retransmission timer next fires. Frames to a peer whose socket stopped taking data
/// are dropped past `backlogLimit` rather than queued without bound.
///
/// Everything runs on the node's event loop (which is why the unchecked `Sendable` is
/// sound: `start` and `stop` hop onto it). Messages to a peer without a live
/// connection are dropped: Raft retries what matters.
final class PeerNetwork: PeerTransport, @unchecked Sendable {
    let node: any PeerInbox
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    var logger: Logger
    /// The registered connection to each peer (its hello accepted).
    var links: [NodeID: PeerHandler] = [:]
    /// Frames waiting for `flush`, per peer: one buffer and one write per peer per step,
    /// not one per message.
    var pending: [NodeID: [UInt8]] = [:]
    var pendingFrames: [NodeID: Int] = [:]
    /// Peers whose backlog is full, with the frames dropped since it filled.
    var overflowing: [NodeID: Int] = [:]
    /// When each peer's last connection was lost, until it is back: for the log.
    var lostAt: [NodeID: NIODeadline] = [:]
    /// Peers already reported silent at warning in this outage: one warning per outage.
    var reportedSilent: Set<NodeID> = []
    var backoff: [NodeID: RedialBackoff] = [:]
    var listener: (any Channel)?
    var stopped = false

    /// One tick of every connection's silence timer; the limit is `silenceTicks` of them.
    let silenceTick: TimeAmount
    let silenceTicks = 3

    init(node: any PeerInbox, logger: Logger) {
        self.node = node
        self.configuration = node.configuration
        self.metrics = node.metrics
        self.logger = logger
        self.silenceTick = .nanoseconds(max(node.configuration.raft.electionTimeoutMin.nanoseconds, 1_000_000))
    }

    var loop: any EventLoop { node.loop }

    /// The live connections by peer, as the metrics endpoint counts them.
    var channels: [NodeID: any Channel] { links.mapValues(\.channel) }

    /// How long a peer may owe an answer before its connection is closed (and the
    /// longest a dial may take).
    var silenceLimit: TimeAmount { silenceTick * Int64(silenceTicks) }

    private var socketOptions: [(ChannelOptions.Types.SocketOption, SocketOptionValue)] {
        PeerSocketOptions.all(userTimeout: silenceLimit * 2)
    }

    /// Bytes queued for one peer's socket past which further messages to it are dropped
    /// (Raft resends them): what the leader's flow control lets into flight plus one
    /// frame, so that only a link that stopped taking data reaches it.
    var backlogLimit: Int { configuration.raft.maxInflightBytes + configuration.maxFrameSize }

    private var waterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: backlogLimit / 2, high: backlogLimit)
    }

    /// Listens on this server's peer address and dials every higher-numbered peer.
    func start() async throws {
        let address = try Self.address(of: configuration.id, in: configuration)
        var bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: waterMark)
        for (option, value) in socketOptions { bootstrap = bootstrap.childChannelOption(option, value: value) }
        bootstrap = bootstrap.childChannelInitializer { [self] channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    PeerHandler(network: self, channel: channel, dialed: nil))
            }
        }
        listener = try await BindError.naming("peer", port: address.port) {
            try await bootstrap.bind(host: address.host, port: address.port).get()
        }
        logger.info("peer port listening on \(address.host):\(address.port)")
        loop.execute { [self] in
            for peer in configuration.members where peer > configuration.id { dial(peer) }
        }
    }

    func stop() {
        loop.execute { [self] in
            stopped = true
            for link in links.values { link.channel.close(promise: nil) }
            listener?.close(promise: nil)
        }
    }

    private func dial(_ peer: NodeID) {
        guard !stopped, let address = try? Self.address(of: peer, in: configuration) else { return }
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.writeBufferWaterMark, value: waterMark)
            .connectTimeout(silenceLimit)
        for (option, value) in socketOptions { bootstrap = bootstrap.channelOption(option, value: value) }
        let connect =
            bootstrap
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        PeerHandler(network: self, channel: channel, dialed: peer))
                }
            }
            .connect(host: address.host, port: address.port)
        connect.whenFailure { [self] _ in redial(peer) }
    }

    /// Tries again a little later (the peer may not be up yet, or the link still cut).
    func redial(_ peer: NodeID) {
        guard !stopped else { return }
        let delay = backoff[peer, default: Self.newBackoff(configuration)].delay()
        loop.assumeIsolated().scheduleTask(in: delay) { [self] in
            if links[peer] == nil { dial(peer) }
        }
    }

    /// From 50 ms, doubling to 200 ms (or the heartbeat interval if longer).
    private static func newBackoff(_ configuration: ServerConfiguration) -> RedialBackoff {
        let heartbeat = TimeAmount.nanoseconds(configuration.raft.heartbeatInterval.nanoseconds)
        return RedialBackoff(first: .milliseconds(50), limit: max(.milliseconds(200), heartbeat))
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
        guard let link = links[peer] else {
            metrics.peerFramesDroppedDisconnected.increment()
            return
        }
        if frame.expectsAnswer { link.silence.expectAnswer() }
        frame.encode(into: &pending[peer, default: []])
        pendingFrames[peer, default: 0] += 1
    }

    func flush() {
        // Through indices, so that emptying a buffer neither copies the dictionary nor
        // gives up the buffer's capacity.
        for index in pending.indices where !pending.values[index].isEmpty {
            let peer = pending.keys[index]
            if let channel = links[peer]?.channel {
                if channel.isWritable {
                    if let dropped = overflowing.removeValue(forKey: peer) {
                        logger.info("peer \(peer) takes data again, after \(dropped) messages to it were dropped")
                    }
                    channel.writeAndFlush(channel.allocator.buffer(bytes: pending.values[index]), promise: nil)
                } else {
                    drop(pendingFrames[peer] ?? 0, to: peer)
                }
            }
            pending.values[index].removeAll(keepingCapacity: true)
            pendingFrames[peer] = 0
        }
    }

    /// The socket to `peer` holds `backlogLimit` bytes it could not send: queueing
    /// more would only grow memory with messages Raft resends anyway.
    private func drop(_ frames: Int, to peer: NodeID) {
        metrics.peerFramesDroppedBacklog.increment(by: Int64(frames))
        if let dropped = overflowing[peer] {
            overflowing[peer] = dropped + frames
        } else {
            overflowing[peer] = frames
            logger.warning(
                "peer \(peer) is not taking data: \(backlogLimit) bytes wait for its socket; dropping messages to it until they drain"
            )
        }
    }

    // MARK: Connections

    /// A hello arrived on `handler`'s connection. Returns the refusal reason, or nil once
    /// the connection is registered as the one to `hello.from`.
    func accept(_ hello: PeerFrame.Hello, on handler: PeerHandler) -> String? {
        if let reason = hello.refusalReason(clusterID: configuration.clusterID, localNode: configuration.id) {
            return reason
        }
        guard configuration.peers[hello.from] != nil else { return "\(hello.from) is not a member of this cluster" }
        if let dialed = handler.dialed, hello.from != dialed { return "dialed \(dialed) but \(hello.from) answered" }
        if handler.dialed == nil, hello.from > configuration.id {
            return "\(hello.from) should wait for \(configuration.id) to dial it (the lower id dials)"
        }
        if let old = links[hello.from], old !== handler { old.channel.close(promise: nil) }
        links[hello.from] = handler
        metrics.peers.record(links.count)
        backoff[hello.from]?.reset()
        reportedSilent.remove(hello.from)
        if let lost = lostAt.removeValue(forKey: hello.from) {
            let seconds = Double((NIODeadline.now() - lost).nanoseconds) / 1e9
            logger.info("connected to peer \(hello.from) again, \(Self.format(seconds)) s after losing it")
        } else {
            logger.info("connected to peer \(hello.from)")
        }
        return nil
    }

    /// `handler`'s peer owed an answer and sent nothing for `silenceLimit`: its
    /// connection is about to close. Logged at warning once per outage.
    func silent(_ handler: PeerHandler) {
        metrics.peerSilentCloses.increment()
        let limit = Self.format(Double(silenceLimit.nanoseconds) / 1e9)
        guard let peer = handler.peer ?? handler.dialed else {
            logger.debug("closing a peer connection that sent no hello in \(limit) s")
            return
        }
        let next = handler.dialed == nil ? "waiting for it to dial again" : "dialing it again"
        let message: Logger.Message =
            "peer \(peer) sent nothing for \(limit) s while answers were due: closing the connection, \(next)"
        if reportedSilent.insert(peer).inserted {
            logger.warning(message)
        } else {
            logger.debug(message)
        }
    }

    func closed(_ handler: PeerHandler) {
        if let peer = handler.peer, links[peer] === handler {
            links.removeValue(forKey: peer)
            metrics.peers.record(links.count)
            pending[peer]?.removeAll(keepingCapacity: true)
            pendingFrames[peer] = 0
            overflowing.removeValue(forKey: peer)
            lostAt[peer] = .now()
            if !handler.closedForSilence { logger.info("lost the connection to peer \(peer)") }
        }
        if let dialed = handler.dialed { redial(dialed) }
    }

    private static func format(_ seconds: Double) -> String {
        let tenths = (seconds * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))" : "\(tenths / 10)"
    }

    static func address(of id: NodeID, in configuration: ServerConfiguration) throws -> (host: String, port: Int) {
        guard let text = configuration.peers[id] else { throw ServerError.badAddress("no address for \(id)") }
        guard let address = parseHostPort(text) else { throw ServerError.badAddress("'\(text)' is not host:port") }
        return address
    }
}

/// One peer connection: decodes frames and hands them to the network and the node, and
/// closes the connection when the peer falls silent while it owes an answer.
final class PeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let network: PeerNetwork
    let channel: any Channel
    /// The peer this side dialed, or nil for an accepted connection.
    let dialed: NodeID?
    var decoder: PeerFrameDecoder
    var peer: NodeID?
    var silence: SilenceDetector
    var silenceTimer: Scheduled<Void>?
    var closedForSilence = false

    init(network: PeerNetwork, channel: any Channel, dialed: NodeID?) {
        self.network = network
        self.channel = channel
        self.dialed = dialed
        self.decoder = PeerFrameDecoder(maxFrameSize: network.configuration.maxFrameSize)
        self.silence = SilenceDetector(limit: network.silenceTicks)
    }

    func channelActive(context: ChannelHandlerContext) {
        // Each end owes the other a hello.
        silence.expectAnswer()
        scheduleSilenceTick()
        guard let dialed else { return }
        let hello = PeerFrame.Hello(
            clusterID: network.configuration.clusterID, from: network.configuration.id, to: dialed)
        let bytes = PeerFrame.hello(hello).encoded()
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    private func scheduleSilenceTick() {
        silenceTimer = channel.eventLoop.assumeIsolated().scheduleTask(in: network.silenceTick) { [self] in
            guard channel.isActive else { return }
            if silence.tick() {
                closedForSilence = true
                network.silent(self)
                channel.close(promise: nil)
            } else {
                scheduleSilenceTick()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        silence.heard()
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
            if let reason = network.accept(hello, on: self) {
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
        silenceTimer?.cancel()
        network.closed(self)
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
