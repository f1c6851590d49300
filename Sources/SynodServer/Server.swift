import KV
import Logging
import NIOCore
import SynodCore

/// A running Synod key-value server: a replica of the key-value store and the client
/// port that speaks RESP to it.
///
/// ```swift
/// let server = try await Server.start(configuration, bootstrap: true, logger: Logger(label: "synod"))
/// try await server.waitUntilClosed()
/// ```
public final class Server: Sendable {
    let replica: Replica<KVStore>
    let clients: any Channel

    private init(replica: Replica<KVStore>, clients: any Channel) {
        self.replica = replica
        self.clients = clients
    }

    var node: ReplicaNode<KVStore> { replica.node }

    /// Checks the data directory, recovers the log, and starts listening on the peer and
    /// client ports.
    public static func start(
        _ configuration: ServerConfiguration, bootstrap: Bool, logger: Logger
    ) async throws -> Server {
        let leftovers = DataDirectory.leftovers(of: configuration)
        let replica = try await Replica<KVStore>.start(configuration, bootstrap: bootstrap, logger: logger)
        let clients: any Channel
        do {
            clients = try await ClientListener.start(node: replica.node, logger: logger)
        } catch {
            // A new data directory goes too: no half-initialized directory is left.
            await replica.shutdown()
            DataDirectory.remove(leftovers, of: configuration)
            throw error
        }
        replica.node.loop.execute { replica.node.onStop.append { clients.close(promise: nil) } }
        return Server(replica: replica, clients: clients)
    }

    /// The client port actually bound (useful with port 0).
    public var clientPort: Int? { clients.localAddress?.port }

    /// The metrics port actually bound, if there is one.
    public var metricsPort: Int? { replica.metricsPort }

    /// Why the server stopped on its own (a fatal storage error), if it did.
    public var stopReason: String? { replica.stopReason }

    /// Closes the client port, which ends `waitUntilClosed`; `shutdown` does the rest.
    public func beginShutdown() {
        clients.close(promise: nil)
    }

    /// Stops accepting, closes every connection and stops the disk thread.
    public func shutdown() async {
        clients.close(promise: nil)
        try? await clients.closeFuture.get()
        await replica.shutdown()
    }

    /// Returns when the client listener closes.
    public func waitUntilClosed() async throws {
        try await clients.closeFuture.get()
    }
}
