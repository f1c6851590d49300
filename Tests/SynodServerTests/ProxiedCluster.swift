import Foundation
import SynodServer
import SynodTestSupport

/// A cluster of real `synod serve` processes on loopback whose every peer link runs
/// through a `BlackholeProxy`, so that a test can cut a server off without a reset, as
/// a firewall that drops packets does. The lower id dials, so server i names server
/// j > i by the proxy of the link (i, j) and listens on its own address; the client and
/// metrics ports are direct. Call `stop()` (in a `defer`).
final class ProxiedCluster: ClientPortCluster {
    struct Node {
        var id: Int
        var peerPort: Int
        var clientPort: Int
        var metricsPort: Int
        var pid: pid_t = 0
    }

    struct Link {
        var from: Int
        var to: Int
        var proxy: BlackholeProxy
    }

    let directory: String
    private(set) var nodes: [Node] = []
    private(set) var links: [Link] = []

    var ids: [Int] { nodes.map(\.id) }

    private init(directory: String) { self.directory = directory }

    /// Starts `size` servers and returns once every one answers and one leads.
    static func launch(size: Int = 3) throws -> ProxiedCluster {
        guard let binary = SynodProcess.binary else { throw RealClusterError(SynodProcess.missingBinaryMessage) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("synod-proxied-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cluster = ProxiedCluster(directory: directory)
        do {
            try cluster.start(binary: binary, size: size)
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    private func start(binary: URL, size: Int) throws {
        for id in 1...size {
            nodes.append(
                Node(id: id, peerPort: try freePort(), clientPort: try freePort(), metricsPort: try freePort()))
        }
        for from in 1...size {
            for to in (from + 1)..<(size + 1) {
                links.append(Link(from: from, to: to, proxy: try BlackholeProxy(upstreamPort: node(to).peerPort)))
            }
        }
        for index in nodes.indices {
            let me = nodes[index]
            let members = nodes.map { other in
                let port =
                    other.id > me.id
                    ? links.first { $0.from == me.id && $0.to == other.id }!.proxy.port : other.peerPort
                return "\(other.id)=127.0.0.1:\(port)"
            }
            let arguments = [
                "serve", "--id", "\(me.id)", "--cluster", members.joined(separator: ","), "--data",
                "\(directory)/n\(me.id)", "--client-port", "\(me.clientPort)", "--metrics-port", "\(me.metricsPort)",
                "--bootstrap",
                // The simulator's timing, not the server's calmer defaults: the silence
                // check runs every election timeout, and the stories time the rejoin.
                "--heartbeat-interval", "10ms", "--election-timeout", "100ms",
            ]
            nodes[index].pid = try spawnServer(binary, arguments, log: logPath(me.id))
        }
        for node in nodes {
            let serving = poll(timeout: 20) {
                (try? client(node.id)?.call("PING")) == .simpleString("PONG") ? true : nil
            }
            guard serving == true else { throw RealClusterError("node \(node.id) does not serve\n\(logTails())") }
        }
        guard poll(timeout: 10, { leader() }) != nil else { throw RealClusterError("no leader\n\(logTails())") }
        for node in nodes {
            let linked = poll(timeout: 10) { metric(node.id, "synod_peers_connected") == Double(size - 1) ? true : nil }
            guard linked == true else {
                throw RealClusterError("node \(node.id) is not connected to every peer\n\(logTails())")
            }
        }
    }

    func node(_ id: Int) -> Node { nodes.first { $0.id == id }! }

    /// Silently cuts every link of `id`: whatever is sent on them is lost from now on.
    func cut(_ id: Int) {
        for link in links where link.from == id || link.to == id { link.proxy.cut() }
    }

    /// New connections on `id`'s links pass again (the cut ones stay dead).
    func heal(_ id: Int) {
        for link in links where link.from == id || link.to == id { link.proxy.heal() }
    }

    func stop() {
        for node in nodes where node.pid > 0 {
            Glibc.kill(node.pid, SIGKILL)
            waitpid(node.pid, nil, 0)
        }
        for link in links { link.proxy.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func clientPort(_ id: Int) -> Int { node(id).clientPort }

    /// One sample of `id`'s metrics, or nil when the scrape fails or lacks it.
    func metric(_ id: Int, _ name: String, labels: [String: String] = [:]) -> Double? {
        let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        guard let response = try? HTTPExchange.send(request, port: node(id).metricsPort, timeout: 2) else {
            return nil
        }
        return PrometheusSamples(response.body)[name, ["node": "\(id)"].merging(labels) { $1 }]
    }

    func logPath(_ id: Int) -> String { "\(directory)/n\(id).log" }

    func log(_ id: Int) -> String { (try? String(contentsOfFile: logPath(id), encoding: .utf8)) ?? "" }

    func logTails(lines: Int = 20) -> String {
        ids.map { id in
            "--- n\(id).log\n" + log(id).split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// A port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
func freePort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw RealClusterError("socket: errno \(errno)") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let found = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
        }
    }
    guard found else { throw RealClusterError("bind to port 0: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Starts a long-running `synod` with `arguments`, output appended to `log`; returns its
/// pid. The child inherits no descriptor but 0, 1 and 2 (see `runSynod`).
func spawnServer(_ binary: URL, _ arguments: [String], log: String) throws -> pid_t {
    try spawnSynod(binary, arguments, output: log, errors: nil, append: true)
}
