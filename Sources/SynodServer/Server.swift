import Logging
import NIOCore
import NIOPosix
import Storage
import SynodCore

/// A running Synod server: its node, peer network and client listener on one event
/// loop, with the disk on a thread of its own.
///
/// ```swift
/// let server = try await Server.start(configuration, bootstrap: true, logger: Logger(label: "synod"))
/// try await server.waitUntilClosed()
/// ```
public final class Server: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let node: ServerNode
    let network: PeerNetwork
    var clients: (any Channel)?
    var metrics: (any Channel)?
    /// Why the server stopped on its own (a fatal storage error), if it did.
    public private(set) var stopReason: String?

    private init(group: MultiThreadedEventLoopGroup, node: ServerNode, network: PeerNetwork) {
        self.group = group
        self.node = node
        self.network = network
    }

    /// Checks the data directory, recovers the log, and starts listening on the peer and
    /// client ports.
    public static func start(
        _ configuration: ServerConfiguration, bootstrap: Bool, logger: Logger
    ) async throws -> Server {
        try DataDirectory.prepare(configuration, bootstrap: bootstrap)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let node: ServerNode
        do {
            node = try ServerNode(configuration: configuration, loop: group.next(), logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let network = PeerNetwork(node: node, logger: logger)
        node.transport = network
        let server = Server(group: group, node: node, network: network)
        do {
            try await network.start()
            server.clients = try await ClientListener.start(node: node, logger: logger)
            if let port = configuration.metricsPort {
                server.metrics = try await MetricsEndpoint.start(
                    host: configuration.metricsHost, port: port, loop: node.loop,
                    registry: configuration.metricsRegistry,
                    refresh: { [node, network] in node.metrics.peers.record(network.channels.count) },
                    logger: logger)
            }
        } catch {
            server.shutdownNow()
            try? await group.shutdownGracefully()
            throw error
        }
        node.onFatal = { [server] reason in
            server.stopReason = reason
            server.shutdownNow()
        }
        node.start()
        return server
    }

    /// The client port actually bound (useful with port 0).
    public var clientPort: Int? { clients?.localAddress?.port }

    /// The metrics port actually bound, if there is one.
    public var metricsPort: Int? { metrics?.localAddress?.port }

    /// Stops accepting, closes every connection and stops the disk thread.
    public func shutdown() async {
        shutdownNow()
        try? await clients?.closeFuture.get()
        try? await group.shutdownGracefully()
    }

    private func shutdownNow() {
        network.stop()
        clients?.close(promise: nil)
        metrics?.close(promise: nil)
        node.loop.execute { [node] in node.stop() }
    }

    /// Returns when the client listener closes.
    public func waitUntilClosed() async throws {
        try await clients?.closeFuture.get()
    }
}
