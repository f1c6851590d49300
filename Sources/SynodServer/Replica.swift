import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Raft
import Storage
import SynodCore

/// A replica of your own state machine, replicated with Raft over TCP with a durable
/// log: the runtime under `synod serve`, as a library. Start one per process, one
/// process per member; propose commands from any replica (followers forward them to the
/// leader) and read linearizably.
///
/// ```swift
/// let replica = try await Replica<Counter>.start(configuration, bootstrap: true)
/// let total = try await replica.propose(5)
/// let now = try await replica.read { $0.total }
/// await replica.shutdown()
/// ```
///
/// See docs/embedding.md for a complete program.
public final class Replica<Machine: StateMachine>: Sendable {
    let group: MultiThreadedEventLoopGroup
    let node: ReplicaNode<Machine>
    let network: PeerNetwork
    /// The metrics endpoint, once bound. Set by `start`, read from any task: locked.
    let metrics = NIOLockedValueBox<(any Channel)?>(nil)
    /// Set on the event loop when the replica stops on its own, read from any task.
    private let stoppedBecause = NIOLockedValueBox<String?>(nil)

    /// Why the replica stopped on its own (a fatal storage error, a snapshot that does
    /// not decode), if it did.
    public var stopReason: String? { stoppedBecause.withLockedValue { $0 } }

    private init(group: MultiThreadedEventLoopGroup, node: ReplicaNode<Machine>, network: PeerNetwork) {
        self.group = group
        self.node = node
        self.network = network
    }

    /// Checks the data directory, recovers the log and the machine from it, and joins
    /// the cluster on the peer port. An empty data directory is refused unless
    /// `bootstrap` says this is a new cluster (a member that lost its data must not vote).
    public static func start(
        _ configuration: ServerConfiguration, bootstrap: Bool, logger: Logger = Logger(label: "synod")
    ) async throws -> Replica {
        // A start that fails (a port taken) leaves a new directory as it found it.
        let leftovers = DataDirectory.leftovers(of: configuration)
        do {
            try DataDirectory.prepare(configuration, bootstrap: bootstrap)
        } catch {
            DataDirectory.remove(leftovers, of: configuration)
            throw error
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let node: ReplicaNode<Machine>
        do {
            node = try ReplicaNode(configuration: configuration, loop: group.next(), logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            DataDirectory.remove(leftovers, of: configuration)
            throw error
        }
        let network = PeerNetwork(node: node, logger: logger)
        node.transport = network
        let replica = Replica(group: group, node: node, network: network)
        do {
            try await network.start()
            if let port = configuration.metricsPort {
                let endpoint = try await MetricsEndpoint.start(
                    host: configuration.metricsHost, port: port, loop: node.loop,
                    registry: configuration.metricsRegistry,
                    refresh: { [node, network] in node.metrics.peers.record(network.channels.count) },
                    logger: logger)
                replica.metrics.withLockedValue { $0 = endpoint }
            }
        } catch {
            replica.stopNow()
            try? await group.shutdownGracefully()
            DataDirectory.remove(leftovers, of: configuration)
            throw error
        }
        node.onFatal = { [replica] reason in
            replica.stoppedBecause.withLockedValue { $0 = reason }
            replica.stopNow()
        }
        node.start()
        return replica
    }

    /// The metrics port actually bound, if there is one.
    public var metricsPort: Int? { metrics.withLockedValue { $0 }?.localAddress?.port }

    /// Replicates `command` and returns the machine's reply once a majority has it on
    /// disk and it is applied. Retried across leader changes under this replica's
    /// forward session, so it is applied at most once.
    public func propose(_ command: Machine.Command) async throws(ReplicaError) -> Machine.Reply {
        let bytes = Machine.encode(command: command)
        let outcome = await withCheckedContinuation { continuation in
            node.loop.execute { [node] in node.write(bytes) { continuation.resume(returning: $0) } }
        }
        switch outcome {
        case .reply(let reply):
            do {
                return try Machine.decode(reply: reply)
            } catch {
                throw .failed("the reply does not decode: \(error)")
            }
        case .failed(let reason): throw .failed(reason)
        case .busy(let reason): throw .busy(reason)
        }
    }

    /// Runs `query` on the machine at a linearizable point: the state includes every
    /// command whose `propose` returned before this call.
    public func read<Result: Sendable>(
        _ query: @escaping @Sendable (Machine) -> Result
    ) async throws(ReplicaError) -> Result {
        let result: Result? = await withCheckedContinuation { continuation in
            node.loop.execute { [node] in node.read(query) { continuation.resume(returning: $0) } }
        }
        guard let result else { throw .failed("no linearizable read point (no leader reachable in time)") }
        return result
    }

    /// The replica's view of the cluster now.
    public func status() async -> ReplicaStatus {
        await withCheckedContinuation { continuation in
            node.loop.execute { [node] in
                let raft = node.raft
                continuation.resume(
                    returning: ReplicaStatus(
                        id: raft.id, role: raft.role, term: raft.term, leader: raft.leaderID,
                        commitIndex: raft.commitIndex, appliedIndex: node.state.appliedIndex))
            }
        }
    }

    /// Stops: closes every connection and stops the disk thread once its queue is written.
    public func shutdown() async {
        stopNow()
        try? await group.shutdownGracefully()
    }

    func stopNow() {
        network.stop()
        metrics.withLockedValue { $0 }?.close(promise: nil)
        node.loop.execute { [node] in
            node.stop()
            let handlers = node.onStop
            node.onStop = []
            for handler in handlers { handler() }
        }
    }
}

/// Why a proposal or read has no answer.
public enum ReplicaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not done in time; a proposal may still be applied later (at most once).
    case failed(String)
    /// Refused before anything happened: too many writes wait to commit.
    case busy(String)

    public var description: String {
        switch self {
        case .failed(let reason): "failed: \(reason)"
        case .busy(let reason): "busy: \(reason)"
        }
    }
}

/// A replica's role and positions, as `Replica.status()` reports them.
public struct ReplicaStatus: Hashable, Sendable {
    public var id: NodeID
    public var role: RaftRole
    public var term: Term
    public var leader: NodeID?
    public var commitIndex: LogIndex
    public var appliedIndex: LogIndex
}
