import Foundation
import SynodServer
import SynodTestSupport

/// Monotonic time in nanoseconds: the clock of the recorded histories and of every deadline.
func monotonicNow() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds) }

/// Seconds elapsed since `start` (a `monotonicNow()` reading), for the printed figures.
func seconds(since start: Int64) -> Double { Double(monotonicNow() - start) / 1e9 }

/// Calls `body` every `interval` microseconds until it returns a value or `timeout`
/// seconds pass; nil on timeout. Bounded both by the deadline and by a count of tries.
func poll<T>(timeout: Double, interval: useconds_t = 20_000, _ body: () throws -> T?) rethrows -> T? {
    let deadline = monotonicNow() + Int64(timeout * 1e9)
    let tries = Int(timeout * 1e6 / Double(interval)) + 2
    for _ in 0..<tries {
        if let value = try body() { return value }
        guard monotonicNow() < deadline else { return nil }
        usleep(interval)
    }
    return nil
}

struct RealClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What `SYNOD.STATUS` reports: `id=1 role=leader term=2 leader=1 commit=.. applied=.. last=..`.
struct NodeStatus: Sendable, Equatable {
    var id: Int
    var role: String
    var term: Int
    var commit: Int
    var applied: Int

    init?(_ text: String) {
        var fields: [String: String] = [:]
        for field in text.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let id = fields["id"].flatMap({ Int($0) }), let role = fields["role"],
            let term = fields["term"].flatMap({ Int($0) }), let commit = fields["commit"].flatMap({ Int($0) }),
            let applied = fields["applied"].flatMap({ Int($0) })
        else { return nil }
        self.id = id
        self.role = role
        self.term = term
        self.commit = commit
        self.applied = applied
    }
}

/// A cluster of real `synod serve` processes, launched by `synod cluster start` in a
/// fresh temporary directory on free loopback ports, as a user would launch one.
/// Call `stop()` (in a `defer`) to end the processes and remove the directory.
final class RealCluster: ClientPortCluster {
    struct Node: Sendable {
        var id: Int
        var pid: Int32
        var peerPort: Int
        var clientPort: Int
    }

    let binary: URL
    let directory: String
    let basePort: Int
    private(set) var nodes: [Node]

    private init(binary: URL, directory: String, basePort: Int, nodes: [Node]) {
        self.binary = binary
        self.directory = directory
        self.basePort = basePort
        self.nodes = nodes
    }

    var ids: [Int] { nodes.map(\.id) }
    var clientPorts: [Int] { nodes.map(\.clientPort) }

    func node(_ id: Int) -> Node { nodes.first { $0.id == id }! }

    /// Starts `size` servers; when the launch fails (a port taken between the check and
    /// the bind), tries again on another base port, a few times.
    static func launch(size: Int = 3, options: [String] = []) throws -> RealCluster {
        guard let binary = SynodProcess.binary else { throw RealClusterError(SynodProcess.missingBinaryMessage) }
        var failures: [String] = []
        for _ in 0..<3 {
            guard let base = freeBasePort(size: size) else { break }
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("synod-realcluster-\(UUID().uuidString)").path
            let outcome = try runSynod(
                binary,
                ["cluster", "start", "--nodes", "\(size)", "--dir", directory, "--base-port", "\(base)"] + options)
            if outcome.status == 0 {
                let cluster = RealCluster(binary: binary, directory: directory, basePort: base, nodes: [])
                try cluster.readNodes()
                return cluster
            }
            failures.append("base \(base): status \(outcome.status): \(outcome.errors)")
            _ = try? runSynod(binary, ["cluster", "stop", "--dir", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
        throw RealClusterError("synod cluster start failed: " + failures.joined(separator: "; "))
    }

    /// A base port in 20000...50000 whose peer ports (base+1...) and client ports
    /// (base+101...) can all be bound on loopback right now.
    static func freeBasePort(size: Int) -> Int? {
        for _ in 0..<20 {
            let base = Int.random(in: 20_000...50_000)
            let ports = (1...size).flatMap { [base + $0, base + 100 + $0] }
            if ports.allSatisfy(canBind) { return base }
        }
        return nil
    }

    private static func canBind(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private func readNodes() throws {
        let text = try String(contentsOfFile: directory + "/cluster.txt", encoding: .utf8)
        nodes = text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").compactMap { Int($0) }
            guard fields.count == 4 else { return nil }
            return Node(id: fields[0], pid: Int32(fields[1]), peerPort: fields[2], clientPort: fields[3])
        }
        guard !nodes.isEmpty else { throw RealClusterError("\(directory)/cluster.txt names no node") }
    }

    /// `synod cluster start` again on the same directory: restarts the nodes that are
    /// not running, keeping their data, and returns once every node serves.
    func restart() throws {
        let outcome = try runSynod(binary, ["cluster", "start", "--dir", directory, "--base-port", "\(basePort)"])
        guard outcome.status == 0 else {
            throw RealClusterError("restart failed (status \(outcome.status)): \(outcome.errors)\n\(logTails())")
        }
        try readNodes()
    }

    /// `synod cluster stop`, then the directory goes. A node that outlives the stop is killed.
    func stop() {
        _ = try? runSynod(binary, ["cluster", "stop", "--dir", directory])
        for node in nodes where Glibc.kill(node.pid, 0) == 0 { Glibc.kill(node.pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// SIGKILL: the process gets no chance to flush or say goodbye.
    func kill(_ id: Int) {
        Glibc.kill(node(id).pid, SIGKILL)
    }

    /// Whether `id`'s process is gone (reaped). A killed server stays a zombie until its
    /// parent reaps it (init: the launcher has exited), and `synod cluster start` counts a
    /// zombie as running. When the tests run as PID 1 (a container), the orphans are ours
    /// to reap.
    func isGone(_ id: Int) -> Bool {
        let pid = node(id).pid
        _ = waitpid(pid, nil, WNOHANG)
        return Glibc.kill(pid, 0) != 0
    }

    func clientPort(_ id: Int) -> Int { node(id).clientPort }

    /// The last `lines` lines of each node's log, for failure messages.
    func logTails(lines: Int = 15) -> String {
        nodes.map { node in
            let text = (try? String(contentsOfFile: "\(directory)/n\(node.id).log", encoding: .utf8)) ?? "(no log)"
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
            return "--- n\(node.id).log (last \(lines) lines)\n" + tail.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// Runs `synod` with `arguments` the way a shell does (posix_spawn, then waitpid) and
/// returns its exit status and standard error; SIGKILLs it after `timeout` seconds.
///
/// Not `SynodProcess.run`: Foundation's `Process` learns that its child exited when a
/// socket it hands the child closes, and `synod cluster start` passes that socket on to
/// the servers it detaches (`spawnDetached` closes no inherited descriptor), so the
/// launch would seem to run until the servers exit. The child here inherits only
/// standard input, output and error.
func runSynod(_ binary: URL, _ arguments: [String], timeout: Double = 60) throws -> (status: Int32, errors: String) {
    let outcome = try runCapturing(binary, arguments, timeout: timeout)
    return (outcome.status, outcome.errors)
}

/// Starts `synod` with `arguments`, standard output to `output` and standard error to
/// `errors` (or to `output` too when nil), appended or truncated; returns its pid. Every
/// other descriptor open now (other tests' sockets included) stays out of the child.
func spawnSynod(_ binary: URL, _ arguments: [String], output: String, errors: String?, append: Bool) throws -> pid_t {
    let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, mode, 0o644)
    if let errors {
        posix_spawn_file_actions_addopen(&actions, 2, errors, mode, 0o644)
    } else {
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
        posix_spawn_file_actions_addclose(&actions, descriptor)
    }
    let argv = ([binary.path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, binary.path, &actions, nil, argv, environ)
    guard spawned == 0 else {
        throw RealClusterError("cannot run \(binary.path): \(String(cString: strerror(spawned)))")
    }
    return pid
}

/// A cluster of real servers on loopback that a test reaches through their client ports.
protocol ClientPortCluster {
    var ids: [Int] { get }
    func clientPort(_ id: Int) -> Int
}

extension ClientPortCluster {
    /// A fresh connection to `id`'s client port, or nil when it refuses.
    func client(_ id: Int, timeout: TimeInterval = 1) -> RESPClient? {
        try? RESPClient(host: "127.0.0.1", port: clientPort(id), timeout: timeout)
    }

    func status(_ id: Int) -> NodeStatus? {
        guard let client = client(id), case .bulkString(let bytes?)? = try? client.call("SYNOD.STATUS") else {
            return nil
        }
        return NodeStatus(String(decoding: bytes, as: UTF8.self))
    }

    /// The node that reports itself leader in the highest term among `candidates`, if any.
    func leader(among candidates: [Int]? = nil) -> NodeStatus? {
        (candidates ?? ids).compactMap { status($0) }.filter { $0.role == "leader" }.max { $0.term < $1.term }
    }
}
