import ArgumentParser
import Dispatch
import Foundation
import Logging
import Raft
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
            """
    )

    @Option(help: "This server's id (1, 2, ...).")
    var id: Int

    @Option(help: "Every member's peer address: 1=host:port,2=host:port,...")
    var cluster: String

    @Option(help: "The data directory (WAL, hard state, snapshots).")
    var data: String

    @Option(help: "The client port (RESP).")
    var clientPort: Int

    @Option(help: "The address the client port binds to.")
    var clientHost = "127.0.0.1"

    @Option(help: "The cluster's name; peers of another cluster are refused.")
    var clusterID = "synod"

    @Flag(help: "Allow an empty data directory: only when the whole cluster is new.")
    var bootstrap = false

    @Option(help: "How reads are confirmed: readindex or lease.")
    var readMode = "readindex"

    @Option(help: "Largest frame accepted on either port, in bytes.")
    var maxFrameSize = 16 << 20

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard id > 0 else { throw ValidationError("--id must be positive") }
        guard (1...65_535).contains(clientPort) else { throw ValidationError("--client-port must be 1...65535") }
        guard ["readindex", "lease"].contains(readMode) else {
            throw ValidationError("--read-mode: readindex or lease")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        _ = try members()
    }

    func members() throws -> [NodeID: String] {
        var peers: [NodeID: String] = [:]
        for part in cluster.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, let number = Int(pieces[0]), number > 0, pieces[1].contains(":") else {
                throw ValidationError("--cluster: '\(part)' is not id=host:port")
            }
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
            clientPort: clientPort, maxFrameSize: maxFrameSize)
        configuration.readConfirmation = readMode == "lease" ? .lease : .readIndex
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        let bootstrap = self.bootstrap
        Task {
            do {
                let server = try await Server.start(configuration, bootstrap: bootstrap, logger: logger)
                outcome.set(server: server)
                try await server.waitUntilClosed()
            } catch {
                logger.critical("cannot serve: \(error)")
                outcome.set(failure: "\(error)")
            }
            done.signal()
        }
        let signals = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                logger.info("signal \(number): shutting down")
                Task { await outcome.server?.shutdown() }
            }
            source.resume()
            return source
        }
        done.wait()
        _ = signals
        if let failure = outcome.failure {
            var standardError = StandardStream.error
            print("synod serve: \(failure)", to: &standardError)
            throw ExitCode(2)
        }
    }
}

/// What the serving task reports to the command's thread.
final class ServeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var storedServer: Server?
    private var storedFailure: String?

    var server: Server? { lock.withLock { storedServer } }
    var failure: String? { lock.withLock { storedFailure } }
    func set(server: Server) { lock.withLock { storedServer = server } }
    func set(failure: String) { lock.withLock { storedFailure = failure } }
}
