import ArgumentParser
import Dispatch
import Foundation
import Logging
import Metrics
import Prometheus
import Raft
import ServiceLifecycle
import SynodCore
import SynodServer

/// `synod serve`: one server of a cluster, until SIGTERM or SIGINT.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run one Synod server: Raft over TCP, a durable WAL, a Redis-protocol client port.",
        discussion: """
            Example: synod serve --id 1 --cluster 1=127.0.0.1:7101,2=127.0.0.1:7102,3=127.0.0.1:7103 \
            --data ./n1 --client-port 7201 --bootstrap
            The ports speak no TLS and no authentication yet: keep them on trusted networks (loopback).
            With --metrics-port 9101, http://127.0.0.1:9101/metrics serves Prometheus text (see the README).
            """
    )

    @Option(
        parsing: .unconditional, help: "This server's id (1, 2, ...; at most 2^62).",
        transform: Limit.whole(Self.ids))
    var id: Int

    @Option(
        parsing: .unconditional,
        help: "Every member's peer address: 1=host:port,2=host:port,... (ids 1...2^62, ports 1...65535)")
    var cluster: String

    @Option(help: "The data directory (WAL, hard state, snapshots).")
    var data: String

    @Option(parsing: .unconditional, help: "The client port (RESP), 1...65535.", transform: Limit.port)
    var clientPort: Int

    @Option(help: "The address the client port binds to.")
    var clientHost = "127.0.0.1"

    @Option(help: "The cluster's name; peers of another cluster are refused.")
    var clusterID = "synod"

    @Flag(help: "Allow an empty data directory: only when the whole cluster is new.")
    var bootstrap = false

    @Option(
        parsing: .unconditional,
        help:
            "How often the leader sends heartbeats (e.g. 10ms, 100ms; at most 1m). (default: \(Self.defaultHeartbeatInterval))",
        transform: Limit.span(atMost: Self.longestHeartbeat))
    var heartbeatInterval = Self.defaultHeartbeatInterval

    @Option(
        parsing: .unconditional,
        help:
            "The minimum election timeout: a follower that hears no leader this long campaigns (after a random wait of up to as long again). At least 5 heartbeat intervals, at most 24h. (default: \(Self.defaultElectionTimeout))",
        transform: Limit.span(atMost: Self.longestElectionTimeout))
    var electionTimeout = Self.defaultElectionTimeout

    @Option(help: "How reads are confirmed: readindex or lease.")
    var readMode = "readindex"

    @Option(
        parsing: .unconditional,
        help:
            "Largest frame accepted on either port, in bytes, \(Self.frameSizes.lowerBound)...\(Self.frameSizes.upperBound) (room for a full AppendEntries). (default: \(16 << 20))",
        transform: Limit.whole(Self.frameSizes))
    var maxFrameSize = 16 << 20

    @Option(
        parsing: .unconditional,
        help:
            "Compact the log into a snapshot every this many applied entries, 0...\(Self.snapshotIntervals.upperBound) (0: never). (default: \(ServerConfiguration.defaultSnapshotEvery))",
        transform: Limit.whole(Self.snapshotIntervals))
    var snapshotEvery = ServerConfiguration.defaultSnapshotEvery

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(
        parsing: .unconditional,
        help: "Serve Prometheus metrics over HTTP at /metrics on this port, 1...65535 (none by default).",
        transform: Limit.port)
    var metricsPort: Int?

    @Option(help: "The address the metrics port binds to.")
    var metricsHost = "127.0.0.1"

    /// The server's timing unless told otherwise: five times the simulator's, at its
    /// 1:10 ratio, so that a loaded 2-core host stalling a server for a few hundred
    /// milliseconds causes no election (measured: docs/protocol.md#timing).
    static let defaultHeartbeatInterval = TimeSpan.milliseconds(50)
    static let defaultElectionTimeout = TimeSpan.milliseconds(500)

    /// The limits of the options (also `cluster start`'s and `bench kv`'s, which pass
    /// them on). Node ids are those the peer wire reads, 1...2^62.
    static let ids = 1...(1 << 62)
    static let longestHeartbeat = TimeSpan.seconds(60)
    static let longestElectionTimeout = TimeSpan.seconds(86_400)
    static let snapshotIntervals = 0...1_000_000_000
    /// From the smallest frame that holds a full AppendEntries and a snapshot chunk with
    /// their framing (what `ServerConfiguration.checkLimits` asks of the default limits,
    /// found by bisection so that it follows them) to 1 GiB.
    static let frameSizes: ClosedRange<Int> = {
        let largest = 1 << 30
        func fits(_ frame: Int) -> Bool {
            let configuration = ServerConfiguration(
                id: NodeID(1), peers: [:], dataDirectory: "", maxFrameSize: frame)
            return (try? configuration.checkLimits()) != nil
        }
        var (low, high) = (1, largest)
        while low < high {
            let middle = low + (high - low) / 2
            if fits(middle) { high = middle } else { low = middle + 1 }
        }
        return low...largest
    }()

    func validate() throws {
        guard ["readindex", "lease"].contains(readMode) else {
            throw ValidationError("--read-mode: readindex or lease")
        }
        guard !clusterID.isEmpty, !clusterID.contains(where: \.isWhitespace) else {
            throw ValidationError("--cluster-id must be a non-empty word (no spaces)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        try Self.validateTiming(heartbeat: heartbeatInterval, election: electionTimeout)
        _ = try members()
    }

    /// The heartbeat must be positive and the election timeout at least five heartbeat
    /// intervals, so that a few lost heartbeats do not start an election; a day at most.
    static func validateTiming(heartbeat: TimeSpan, election: TimeSpan) throws {
        guard heartbeat > .zero, heartbeat <= longestHeartbeat else {
            throw ValidationError("--heartbeat-interval must be longer than zero and at most 60s.")
        }
        guard election >= heartbeat * 5, election <= longestElectionTimeout else {
            throw ValidationError(
                "--election-timeout must be at least 5 × --heartbeat-interval (\(heartbeat * 5)) and at most 24h; got \(election)."
            )
        }
    }

    /// The Raft timing these options ask for; the lease is derived from it.
    var raftConfiguration: RaftConfiguration {
        RaftConfiguration(
            heartbeatInterval: heartbeatInterval, electionTimeoutMin: electionTimeout,
            electionTimeoutMax: electionTimeout * 2)
    }

    func members() throws -> [NodeID: String] {
        var peers: [NodeID: String] = [:]
        for part in cluster.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2 else { throw ValidationError("--cluster: '\(part)' is not id=host:port") }
            guard let number = Int(pieces[0]), Self.ids.contains(number) else {
                throw ValidationError(
                    "--cluster: the id of '\(part)' must be a whole number \(Self.ids.lowerBound)...\(Self.ids.upperBound)"
                )
            }
            _ = try Limit.address(pieces[1], of: "--cluster")
            peers[NodeID(number)] = String(pieces[1])
        }
        guard peers[NodeID(id)] != nil else { throw ValidationError("--cluster does not name --id \(id)") }
        return peers
    }

    func run() throws {
        let label = "synod.n\(id)"
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: label)
        var configuration = ServerConfiguration(
            id: NodeID(id), peers: try members(), clusterID: clusterID, dataDirectory: data, clientHost: clientHost,
            clientPort: clientPort, raft: raftConfiguration, maxFrameSize: maxFrameSize, snapshotEvery: snapshotEvery)
        configuration.readConfirmation = readMode == "lease" ? .lease : .readIndex
        if let metricsPort {
            // Once per process: the server's metrics (and any library's) go to this registry.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(SynodMetrics.makeFactory(registry: registry))
            configuration.metricsRegistry = registry
            configuration.metricsHost = metricsHost
            configuration.metricsPort = metricsPort
        }
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        let service = ServeService(configuration: configuration, bootstrap: bootstrap, logger: logger, outcome: outcome)
        Task {
            // swift-service-lifecycle: SIGTERM or SIGINT starts a graceful shutdown.
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch {
                if outcome.failure == nil { outcome.set(failure: "\(error)") }
            }
            done.signal()
        }
        done.wait()
        if let failure = outcome.failure {
            var standardError = StandardStream.error
            print("synod serve: \(failure)", to: &standardError)
            throw ExitCode(2)
        }
        if let fatal = outcome.fatal {
            var standardError = StandardStream.error
            print("synod serve: stopped: \(fatal)", to: &standardError)
            throw ExitCode(1)
        }
    }
}

/// The server as a service of a `ServiceGroup`: serves until the client port closes, on
/// a graceful shutdown (a signal) or a fatal storage error.
struct ServeService: Service {
    let configuration: ServerConfiguration
    let bootstrap: Bool
    let logger: Logger
    let outcome: ServeOutcome

    func run() async throws {
        let server: Server
        do {
            server = try await Server.start(configuration, bootstrap: bootstrap, logger: logger)
        } catch {
            logger.critical("cannot serve: \(error)")
            outcome.set(failure: "\(error)")
            return
        }
        try await withGracefulShutdownHandler {
            try await server.waitUntilClosed()
        } onGracefulShutdown: { [logger] in
            logger.info("shutting down: no new clients; finishing the disk queue")
            server.beginShutdown()
        }
        if let fatal = server.stopReason { outcome.set(fatal: fatal) }
        await server.shutdown()
    }
}

/// What the serving task reports to the command's thread. The unchecked `Sendable` is
/// sound: both fields are read and written only under `lock`.
final class ServeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var storedFailure: String?
    private var storedFatal: String?

    var failure: String? { lock.withLock { storedFailure } }
    func set(failure: String) { lock.withLock { storedFailure = failure } }
    var fatal: String? { lock.withLock { storedFatal } }
    func set(fatal: String) { lock.withLock { storedFatal = fatal } }
}
