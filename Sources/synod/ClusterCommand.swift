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

    /// Alive, not a zombie (a killed child not yet reaped still answers `kill(pid, 0)`),
    /// and a `synod serve` (the pid of a server long gone may belong to anything now).
    var isRunning: Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        if let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
            !command.split(separator: 0).contains(Data("serve".utf8))
        {
            return false
        }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return !stat[close...].dropFirst(2).hasPrefix("Z")
    }

    /// What the server answering on this node's client port says of itself, if one
    /// answers; `isOurs` tells whether it is this very process.
    func serving() -> ServerReport? { ServerReport.read(port: clientPort) }

    static func read(_ directory: String) throws -> [LaunchedNode] {
        guard let text = try? String(contentsOfFile: directory + "/cluster.txt", encoding: .utf8) else {
            throw ClusterError("no cluster in \(directory) (no cluster.txt): start one with synod cluster start")
        }
        return text.split(separator: "\n").compactMap { LaunchedNode(line: $0) }
    }
}

/// A server's `SYNOD.STATUS` answer: `id=1 role=leader term=2 ... pid=P cluster=C`.
struct ServerReport {
    var id: Int
    var role: String
    var term: String
    /// Nil from a server that predates these fields.
    var pid: Int32?
    var cluster: String?

    static func read(port: Int) -> ServerReport? {
        guard let client = try? RESPClient(host: "127.0.0.1", port: port, timeout: 1),
            case .bulkString(let bytes?)? = try? client.call("SYNOD.STATUS")
        else { return nil }
        var fields: [Substring: Substring] = [:]
        for field in String(decoding: bytes, as: UTF8.self).split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let id = fields["id"].flatMap({ Int($0) }) else { return nil }
        return ServerReport(
            id: id, role: fields["role"].map(String.init) ?? "unknown", term: fields["term"].map(String.init) ?? "?",
            pid: fields["pid"].flatMap { Int32($0) }, cluster: fields["cluster"].map(String.init))
    }

    /// Whether this is `node`'s own process of cluster `clusterID`, not a server of
    /// another cluster that holds the same port.
    func isServer(of node: LaunchedNode, clusterID: String) -> Bool {
        id == node.id && (pid ?? node.pid) == node.pid && (cluster ?? clusterID) == clusterID
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints `error` and exits 2 (bad input or state), or `status`: 1 for a cluster that
/// did not come up.
func failCluster(_ error: any Error, status: Int32 = 2) -> ExitCode {
    var standardError = StandardStream.error
    print("synod cluster: \(error)", to: &standardError)
    return ExitCode(status)
}

/// The cluster id `cluster start` gives its servers (`synod serve`'s default).
let launchedClusterID = "synod"

struct ClusterStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a local cluster and return once every node serves clients.",
        discussion: """
            Peer ports are base+1, base+2...; client ports base+101, base+102... (7201, 7202... by default). \
            Run again on the same --dir to restart the nodes that are not running (their data is kept).
            """
    )

    @Option(parsing: .unconditional, help: "Number of servers, 1...9. (default: 3)", transform: Limit.whole(1...9))
    var nodes = 3

    @Option(help: "Directory for the nodes' data, logs and cluster.txt.")
    var dir = "./synod-data"

    /// With at most 9 nodes, the highest port a cluster takes is base+109 ≤ 65109.
    @Option(
        parsing: .unconditional,
        help: "Port base, 1024...65000: peers listen on base+i, clients on base+100+i. (default: 7100)",
        transform: Limit.whole(1_024...65_000, why: " (the cluster takes ports up to base+109)"))
    var basePort = 7100

    @Option(
        parsing: .unconditional, help: "Seconds to wait for the cluster to serve, 1...3600. (default: 20)",
        transform: Limit.whole(1...3_600))
    var timeout = 20

    @Option(
        parsing: .unconditional,
        help:
            "How often the leader sends heartbeats, at most 1m (passed to every synod serve). (default: \(ServeCommand.defaultHeartbeatInterval))",
        transform: Limit.span(atMost: ServeCommand.longestHeartbeat))
    var heartbeatInterval = ServeCommand.defaultHeartbeatInterval

    @Option(
        parsing: .unconditional,
        help:
            "The minimum election timeout, at least 5 heartbeat intervals and at most 24h (passed to every synod serve). (default: \(ServeCommand.defaultElectionTimeout))",
        transform: Limit.span(atMost: ServeCommand.longestElectionTimeout))
    var electionTimeout = ServeCommand.defaultElectionTimeout

    @Option(
        parsing: .unconditional,
        help:
            "Compact each log every this many applied entries, 0...\(ServeCommand.snapshotIntervals.upperBound) (passed to every synod serve). (default: \(ServerConfiguration.defaultSnapshotEvery))",
        transform: Limit.whole(ServeCommand.snapshotIntervals))
    var snapshotEvery = ServerConfiguration.defaultSnapshotEvery

    /// Every limit is checked as the options are parsed, and the timing here, before
    /// `run` makes the directory or starts a server.
    func validate() throws {
        try ServeCommand.validateTiming(heartbeat: heartbeatInterval, election: electionTimeout)
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
        var restarted: [Int] = []
        var logStarts: [Int: UInt64] = [:]
        for index in launched.indices where launched[index].pid == 0 || !launched[index].isRunning {
            let node = launched[index]
            if node.pid != 0 { restarted.append(node.id) }
            let data = "\(dir)/n\(node.id)"
            let log = "\(dir)/n\(node.id).log"
            logStarts[node.id] = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? UInt64) ?? 0
            var arguments = [
                "serve", "--id", "\(node.id)", "--cluster", peers, "--data", data, "--client-port",
                "\(node.clientPort)", "--heartbeat-interval", "\(heartbeatInterval)", "--election-timeout",
                "\(electionTimeout)", "--snapshot-every", "\(snapshotEvery)",
            ]
            if !FileManager.default.fileExists(atPath: data) { arguments.append("--bootstrap") }
            launched[index].pid = try spawnSelf(arguments, output: .detached(log: log))
        }
        try (launched.map(\.line).joined(separator: "\n") + "\n").write(
            toFile: dir + "/cluster.txt", atomically: true, encoding: .utf8)
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        for node in launched { try waitUntilServing(node, logStart: logStarts[node.id] ?? 0, deadline: deadline) }
        try waitForLeader(launched, deadline: deadline)
        if !restarted.isEmpty {
            let running = launched.map(\.id).filter { !restarted.contains($0) }
            print(
                "restarted node\(restarted.count == 1 ? "" : "s") "
                    + restarted.map(String.init).joined(separator: ", ")
                    + (running.isEmpty
                        ? ""
                        : "; node\(running.count == 1 ? "" : "s") "
                            + running.map(String.init).joined(separator: ", ") + " kept running"))
        }
        for node in launched { print("node \(node.id): redis-cli -p \(node.clientPort)") }
        print("logs and data in \(dir); stop with: \(synodInvocation()) cluster stop --dir \(shellQuoted(dir))")
    }

    /// Returns once `node`'s own process answers on its client port: a server of
    /// another cluster answering on the same port does not count, and a node that
    /// exits fails the start with the reason its log gives.
    private func waitUntilServing(_ node: LaunchedNode, logStart: UInt64, deadline: Date) throws {
        var stranger: ServerReport?
        while true {
            if !node.isRunning {
                let log = "\(dir)/n\(node.id).log"
                let reason = Self.failureReason(log: log, from: logStart) ?? "no reason in its log"
                throw failCluster(ClusterError("node \(node.id) exited: \(reason) (see \(log))"), status: 1)
            }
            if let report = node.serving() {
                if report.isServer(of: node, clusterID: launchedClusterID) { return }
                stranger = report
            }
            guard Date() < deadline else {
                let other = stranger.map { report in
                    "; another server answers there (node \(report.id)"
                        + (report.pid.map { ", pid \($0)" } ?? "") + (report.cluster.map { ", cluster \($0)" } ?? "")
                        + ")"
                }
                throw failCluster(
                    ClusterError("node \(node.id) does not answer on client port \(node.clientPort)\(other ?? "")"),
                    status: 1)
            }
            usleep(50_000)
        }
    }

    private func waitForLeader(_ nodes: [LaunchedNode], deadline: Date) throws {
        while Date() < deadline {
            for node in nodes {
                if let report = node.serving(), report.isServer(of: node, clusterID: launchedClusterID),
                    report.role == "leader"
                {
                    return
                }
            }
            usleep(50_000)
        }
        throw failCluster(ClusterError("no leader was elected in time; see the logs in \(dir)"), status: 1)
    }

    /// Why a server stopped, from what it wrote to its log since `offset`: the line
    /// `synod serve` prints last (`synod serve: REASON`), else its last critical line.
    static func failureReason(log: String, from offset: UInt64) -> String? {
        guard let handle = FileHandle(forReadingAtPath: log) else { return nil }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        guard let data = try? handle.readToEnd() else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        if let line = lines.last(where: { $0.hasPrefix("synod serve: ") }) {
            return String(line.dropFirst("synod serve: ".count))
        }
        return lines.last(where: { $0.contains("critical") || $0.contains("error") }).map(String.init)
    }
}

struct ClusterStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print each node's id, pid, client port, role and term.")

    @Option(help: "The directory given to cluster start.")
    var dir = "./synod-data"

    /// Exits 1 when no server of the cluster runs. A server of another cluster that
    /// answers on one of its ports is named as such, never shown as this cluster's.
    func run() throws {
        let nodes: [LaunchedNode]
        do { nodes = try LaunchedNode.read(dir) } catch { throw failCluster(error) }
        var running = 0
        for node in nodes {
            guard node.isRunning else {
                print("node \(node.id): pid \(node.pid) not running, client port \(node.clientPort)")
                continue
            }
            running += 1
            let report = node.serving()
            if let report, !report.isServer(of: node, clusterID: launchedClusterID) {
                print(
                    "node \(node.id): pid \(node.pid) does not answer; client port \(node.clientPort) is held by "
                        + "another server (node \(report.id)\(report.pid.map { ", pid \($0)" } ?? ""))")
                continue
            }
            print(
                "node \(node.id): pid \(node.pid), client port \(node.clientPort), role \(report?.role ?? "unknown"), "
                    + "term \(report?.term ?? "?")")
        }
        if running == 0 {
            var standardError = StandardStream.error
            print("synod cluster: no server of the cluster in \(dir) is running", to: &standardError)
            throw ExitCode(1)
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

/// How the user can run this executable again from a shell: `synod` when that name on
/// the PATH is this very file, else its absolute path (`swift run` puts `synod` under
/// `.build`, which is not on the PATH).
func synodInvocation() -> String {
    let files = FileManager.default
    let executable =
        (try? files.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("synod")
        guard files.isExecutableFile(atPath: candidate.path) else { continue }
        // The first `synod` on the PATH is the one a shell runs: it must be this one.
        return candidate.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: executable).resolvingSymlinksInPath().path
            ? "synod" : shellQuoted(executable)
    }
    return shellQuoted(executable)
}

/// `text` as one shell word: as it is when it holds nothing a shell treats specially.
func shellQuoted(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@%".contains($0) }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
