import Foundation
import SynodServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local cluster `synod bench kv` loads: one it found (`cluster.txt` in a directory)
/// or one it started with `synod cluster start` and must stop, whatever happens.
struct BenchKVCluster {
    var directory: String
    var nodes: [LaunchedNode]
    /// Whether this run started the cluster (then it stops it) in a directory it made
    /// (then it removes it).
    var started = false
    var temporary = false

    /// The cluster recorded in `directory`, if one is there and a node of it runs.
    static func find(in directory: String) -> BenchKVCluster? {
        guard let nodes = try? LaunchedNode.read(directory), nodes.contains(where: \.isRunning) else { return nil }
        return BenchKVCluster(directory: directory, nodes: nodes)
    }

    /// Starts a fresh cluster of three with `synod cluster start` (this very executable),
    /// in `directory` or in a new temporary directory, on free ports, with `options`
    /// passed on to `cluster start` (the servers' timing). Its output goes
    /// to standard error, so that standard output holds only the bench's own.
    static func start(in directory: String?, basePort: Int?, options: [String] = []) throws -> BenchKVCluster {
        let temporary = directory == nil
        let root: String
        if let directory {
            root = directory
        } else {
            // The working directory's disk, not /tmp: a tmpfs would make fsync free.
            var template = Array((FileManager.default.currentDirectoryPath + "/.synod-bench-kv-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw ClusterError("cannot make a temporary directory: \(String(cString: strerror(errno)))")
            }
            root = String(cString: made)
        }
        var cluster = BenchKVCluster(directory: root, nodes: [], started: true, temporary: temporary)
        let base = try basePort ?? freeBasePort()
        let status = runSelf(["cluster", "start", "--nodes", "3", "--dir", root, "--base-port", "\(base)"] + options)
        cluster.nodes = (try? LaunchedNode.read(root)) ?? []
        guard status == 0 else {
            cluster.stop()
            throw ClusterError("synod cluster start --dir \(root) failed (exit \(status))")
        }
        return cluster
    }

    /// Stops the cluster if this run started it, and removes its directory if this run
    /// made it. Safe to call twice.
    mutating func stop() {
        guard started else { return }
        started = false
        if FileManager.default.fileExists(atPath: directory + "/cluster.txt") {
            _ = Self.runSelf(["cluster", "stop", "--dir", directory])
        }
        if temporary { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The client port of the node the cluster's members name as leader, asking each
    /// running node in turn until one names a leader it knows.
    func leaderPort(timeout: Double) -> (id: Int, port: Int)? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            for node in nodes where node.isRunning {
                guard let client = try? RESPClient(host: "127.0.0.1", port: node.clientPort, timeout: 1),
                    case .bulkString(let bytes?)? = try? client.call("SYNOD.LEADER"),
                    let id = Int(String(decoding: bytes, as: UTF8.self)),
                    let leader = nodes.first(where: { $0.id == id })
                else { continue }
                return (id, leader.clientPort)
            }
            usleep(100_000)
        } while Date() < deadline
        return nil
    }

    /// Each running node's user+system CPU seconds so far, by id (from /proc).
    func serverCPU() -> [Int: Double] {
        var seconds: [Int: Double] = [:]
        for node in nodes {
            if let used = processCPUSeconds(pid: node.pid) { seconds[node.id] = used }
        }
        return seconds
    }

    /// Runs this executable with `arguments`, its standard output sent to standard
    /// error, and returns its exit status (127 when it cannot start).
    private static func runSelf(_ arguments: [String]) -> Int32 {
        let pid: pid_t
        do {
            pid = try spawnSelf(arguments, output: .toStandardError)
        } catch {
            var standardError = StandardStream.error
            print("synod bench kv: \(error)", to: &standardError)
            return 127
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return 127 }
        }
        // WIFEXITED and WEXITSTATUS are macros Swift does not import.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// A port base whose three peer ports (base+1...) and three client ports (base+101...)
    /// are all free on loopback, so that the bench never lands on someone's cluster.
    private static func freeBasePort() throws -> Int {
        for base in stride(from: 17_100, to: 60_000, by: 200) {
            let ports = [1, 2, 3, 101, 102, 103].map { base + $0 }
            if ports.allSatisfy(isFreePort) { return base }
        }
        throw ClusterError("no free ports for a cluster on loopback")
    }
}

/// Whether `port` can be bound on 127.0.0.1 right now.
func isFreePort(_ port: Int) -> Bool {
    #if canImport(Darwin)
        let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
    #else
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var one: Int32 = 1
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// A process's user+system CPU seconds so far, from `/proc/PID/stat`; nil when it is
/// gone or the file cannot be read (not Linux).
func processCPUSeconds(pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    // Fields after "pid (comm)": state is field 3, utime 14 and stime 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
