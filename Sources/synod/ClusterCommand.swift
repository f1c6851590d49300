import ArgumentParser
import Foundation
import Raft
import SynodServer

/// `synod cluster start|status|stop`: a local cluster of real `synod serve` processes on
/// loopback, for trying Synod out and for tests. The launch directory holds each node's
/// data (`n1/`, `n2/`...), its log (`n1.log`...) and `cluster.txt` (id, pid, ports).
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Start, inspect and stop a local cluster of synod servers on loopback.",
        subcommands: [ClusterStart.self, ClusterStatus.self, ClusterStop.self]
    )
}

/// One node of a launched cluster, as `cluster.txt` records it.
struct LaunchedNode {
    var id: Int
    var pid: Int32
    var peerPort: Int
    var clientPort: Int

    var line: String { "\(id) \(pid) \(peerPort) \(clientPort)" }

    init(id: Int, pid: Int32, peerPort: Int, clientPort: Int) {
        self.id = id
        self.pid = pid
        self.peerPort = peerPort
        self.clientPort = clientPort
    }

    init?(line: Substring) {
        let fields = line.split(separator: " ").compactMap { Int($0) }
        guard fields.count == 4 else { return nil }
        self.init(id: fields[0], pid: Int32(fields[1]), peerPort: fields[2], clientPort: fields[3])
    }

    /// Alive and not a zombie (a killed child not yet reaped still answers `kill(pid, 0)`).
    var isRunning: Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return !stat[close...].dropFirst(2).hasPrefix("Z")
    }

    static func read(_ directory: String) throws -> [LaunchedNode] {
        guard let text = try? String(contentsOfFile: directory + "/cluster.txt", encoding: .utf8) else {
            throw ClusterError("no cluster in \(directory) (no cluster.txt): start one with synod cluster start")
        }
        return text.split(separator: "\n").compactMap { LaunchedNode(line: $0) }
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints `error` and exits 2 (bad input or state), the CLI's convention.
func failCluster(_ error: any Error) -> ExitCode {
    var standardError = StandardStream.error
    print("synod cluster: \(error)", to: &standardError)
    return ExitCode(2)
}

struct ClusterStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a local cluster and return once every node serves clients.",
        discussion: """
            Peer ports are base+1, base+2...; client ports base+101, base+102... (7201, 7202... by default). \
            Run again on the same --dir to restart the nodes that are not running (their data is kept).
            """
    )

    @Option(help: "Number of servers.")
    var nodes = 3

    @Option(help: "Directory for the nodes' data, logs and cluster.txt.")
    var dir = "./synod-data"

    @Option(help: "Port base: peers listen on base+i, clients on base+100+i.")
    var basePort = 7100

    @Option(help: "Seconds to wait for the cluster to serve.")
    var timeout = 20

    @Option(help: "How often the leader sends heartbeats (passed to every synod serve).")
    var heartbeatInterval = ServeCommand.defaultHeartbeatInterval

    @Option(help: "The minimum election timeout, at least 5 heartbeat intervals (passed to every synod serve).")
    var electionTimeout = ServeCommand.defaultElectionTimeout

    @Option(help: "Compact each log every this many applied entries (passed to every synod serve).")
    var snapshotEvery = ServerConfiguration.defaultSnapshotEvery

    func validate() throws {
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes must be 1...9") }
        guard (1_024...65_000).contains(basePort) else { throw ValidationError("--base-port must be 1024...65000") }
        try ServeCommand.validateTiming(heartbeat: heartbeatInterval, election: electionTimeout)
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be 0 or more") }
    }

    func run() throws {
        var launched: [LaunchedNode]
        if let existing = try? LaunchedNode.read(dir), !existing.isEmpty {
            // A cluster launched here before: start again whichever nodes are not running.
            guard existing.contains(where: { !$0.isRunning }) else {
                throw failCluster(ClusterError("every node from \(dir) is running already"))
            }
            launched = existing
        } else {
            launched = (1...nodes).map {
                LaunchedNode(id: $0, pid: 0, peerPort: basePort + $0, clientPort: basePort + 100 + $0)
            }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let peers = launched.map { "\($0.id)=127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        for index in launched.indices where launched[index].pid == 0 || !launched[index].isRunning {
            let node = launched[index]
            let data = "\(dir)/n\(node.id)"
            var arguments = [
                "serve", "--id", "\(node.id)", "--cluster", peers, "--data", data, "--client-port",
                "\(node.clientPort)", "--heartbeat-interval", "\(heartbeatInterval)", "--election-timeout",
                "\(electionTimeout)", "--snapshot-every", "\(snapshotEvery)",
            ]
            if !FileManager.default.fileExists(atPath: data) { arguments.append("--bootstrap") }
            launched[index].pid = try spawnSelf(arguments, output: .detached(log: "\(dir)/n\(node.id).log"))
        }
        try (launched.map(\.line).joined(separator: "\n") + "\n").write(
            toFile: dir + "/cluster.txt", atomically: true, encoding: .utf8)
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        for node in launched { try waitUntilServing(node, deadline: deadline) }
        try waitForLeader(launched, deadline: deadline)
        for node in launched { print("node \(node.id): redis-cli -p \(node.clientPort)") }
        print("logs and data in \(dir); stop with: synod cluster stop --dir \(dir)")
    }

    private func waitUntilServing(_ node: LaunchedNode, deadline: Date) throws {
        while true {
            if !node.isRunning {
                throw failCluster(ClusterError("node \(node.id) exited; see \(dir)/n\(node.id).log"))
            }
            if let client = try? RESPClient(host: "127.0.0.1", port: node.clientPort, timeout: 1),
                (try? client.call("PING")) == .simpleString("PONG")
            {
                return
            }
            guard Date() < deadline else {
                throw failCluster(ClusterError("node \(node.id) does not answer on port \(node.clientPort)"))
            }
            usleep(50_000)
        }
    }

    private func waitForLeader(_ nodes: [LaunchedNode], deadline: Date) throws {
        while Date() < deadline {
            for node in nodes {
                if let client = try? RESPClient(host: "127.0.0.1", port: node.clientPort, timeout: 1),
                    case .bulkString(let leader?)? = try? client.call("SYNOD.LEADER"), !leader.isEmpty
                {
                    return
                }
            }
            usleep(50_000)
        }
        throw failCluster(ClusterError("no leader was elected in time; see the logs in \(dir)"))
    }
}

struct ClusterStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print each node's id, pid, client port, role and term.")

    @Option(help: "The directory given to cluster start.")
    var dir = "./synod-data"

    func run() throws {
        let nodes: [LaunchedNode]
        do { nodes = try LaunchedNode.read(dir) } catch { throw failCluster(error) }
        for node in nodes {
            guard node.isRunning else {
                print("node \(node.id): pid \(node.pid) not running, client port \(node.clientPort)")
                continue
            }
            var role = "unknown"
            var term = "?"
            if let client = try? RESPClient(host: "127.0.0.1", port: node.clientPort, timeout: 1),
                case .bulkString(let bytes?)? = try? client.call("SYNOD.STATUS")
            {
                for field in String(decoding: bytes, as: UTF8.self).split(separator: " ") {
                    if field.hasPrefix("role=") { role = String(field.dropFirst(5)) }
                    if field.hasPrefix("term=") { term = String(field.dropFirst(5)) }
                }
            }
            print("node \(node.id): pid \(node.pid), client port \(node.clientPort), role \(role), term \(term)")
        }
    }
}

struct ClusterStop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop every node (SIGTERM, then SIGKILL after 10 s); the data stays.")

    @Option(help: "The directory given to cluster start.")
    var dir = "./synod-data"

    func run() throws {
        let nodes: [LaunchedNode]
        do { nodes = try LaunchedNode.read(dir) } catch { throw failCluster(error) }
        for node in nodes where node.isRunning { kill(node.pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while nodes.contains(where: \.isRunning), Date() < deadline { usleep(50_000) }
        for node in nodes where node.isRunning { kill(node.pid, SIGKILL) }
        for node in nodes { print("node \(node.id): stopped") }
    }
}
