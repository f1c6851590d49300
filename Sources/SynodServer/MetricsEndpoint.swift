import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Synod's metrics backend for Prometheus: a factory over `registry` whose histograms
/// have buckets suited to a WAL (tens of microseconds to a second) and to batch sizes.
/// Bootstrap the process's metrics system with it once, then serve `registry`:
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(SynodMetrics.makeFactory(registry: registry))
/// configuration.metricsRegistry = registry
/// configuration.metricsPort = 9101
/// ```
public enum SynodMetrics {
    public static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        factory.durationHistogramBuckets[ServerMetrics.Name.appendLatency] = latency
        factory.durationHistogramBuckets[ServerMetrics.Name.fsyncLatency] = latency
        factory.valueHistogramBuckets[ServerMetrics.Name.batchEntries] = [
            1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096,
        ]
        return factory
    }
}

/// The metrics port: a minimal HTTP/1.1 server whose one resource is `GET /metrics`, the
/// registry's Prometheus text (exposition format 0.0.4). Other paths get 404, other
/// methods 405, a malformed request 400 (and the connection closes). Requests are
/// bounded (8 KiB of request line and headers, 4 KiB of body) and connections idle for
/// 30 s are closed, so a misbehaving scraper costs the node little. Connections live on
/// the node's event loop, so `refresh` may read the node's state before each answer.
enum MetricsEndpoint {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    static let maxHeaderBytes = 8 << 10
    static let maxBodyBytes = 4 << 10
    static let idleTimeout = TimeAmount.seconds(30)

    static var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeaderBytes
        limits.maxHeaderListSize = maxHeaderBytes
        limits.maxHeaderFieldCount = 64
        return limits
    }

    static func start(
        host: String, port: Int, loop: any EventLoop, registry: PrometheusCollectorRegistry,
        refresh: @escaping @Sendable () -> Void, logger: Logger
    ) async throws -> any Channel {
        let limits = decoderLimits
        let bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withErrorHandling: true, withOutboundHeaderValidation: true,
                        withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                        withDecoderLimitConfiguration: limits)
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try pipeline.addHandler(MetricsHTTPHandler(registry: registry, refresh: refresh))
                }
            }
        let channel = try await BindError.naming("metrics", port: port) {
            try await bootstrap.bind(host: host, port: port).get()
        }
        logger.info("metrics port (HTTP, GET /metrics) listening on \(host):\(channel.localAddress?.port ?? 0)")
        return channel
    }
}

/// One connection to the metrics port: answers each request once it has fully arrived.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let refresh: @Sendable () -> Void
    var head: HTTPRequestHead?
    var bodyBytes = 0
    var closing = false
    /// The text of the last answer; its capacity is kept for the next scrape.
    var text: [UInt8] = []

    init(registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () -> Void) {
        self.registry = registry
        self.refresh = refresh
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyBytes = 0
            let declared = head.headers.first(name: "Content-Length").flatMap { Int($0) } ?? 0
            if declared > MetricsEndpoint.maxBodyBytes { tooLarge(context, head) }
        case .body(let body):
            bodyBytes += body.readableBytes
            if bodyBytes > MetricsEndpoint.maxBodyBytes, let head { tooLarge(context, head) }
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, context: context)
        }
    }

    /// A body larger than any scrape needs: refused before it is read, then the connection closes.
    private func tooLarge(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        closing = true
        respond(context, version: head.version, status: .payloadTooLarge, keepAlive: false)
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/metrics" else {
            return respond(context, version: head.version, status: .notFound, keepAlive: head.isKeepAlive)
        }
        guard head.method == .GET else {
            return respond(
                context, version: head.version, status: .methodNotAllowed, keepAlive: head.isKeepAlive,
                extraHeaders: [("Allow", "GET")])
        }
        refresh()
        text.removeAll(keepingCapacity: true)
        registry.emit(into: &text)
        respond(
            context, version: head.version, status: .ok, keepAlive: head.isKeepAlive,
            contentType: MetricsEndpoint.contentType, body: text)
    }

    private func respond(
        _ context: ChannelHandlerContext, version: HTTPVersion, status: HTTPResponseStatus, keepAlive: Bool,
        extraHeaders: [(String, String)] = [], contentType: String = "text/plain; charset=utf-8",
        body: [UInt8]? = nil
    ) {
        let bytes = body ?? Array("\(status.code) \(status.reasonPhrase)\n".utf8)
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(bytes.count)")])
        headers.add(contentsOf: extraHeaders)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let response = HTTPResponseHead(version: version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
