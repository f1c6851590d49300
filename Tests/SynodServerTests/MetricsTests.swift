import Foundation
import Logging
import Prometheus
import SynodServer
import Testing

/// The metrics port of an in-process single-node server: after a few writes, `/metrics`
/// shows the Raft state and the WAL's latency in Prometheus text; requests that are not
/// a scrape get an HTTP error and the server goes on serving both ports.
@Suite(.serialized) struct MetricsTests {
    static let logger = Logger(label: "synod.test")

    /// A running single-node server whose metrics go to a registry of its own (the
    /// process-wide `MetricsSystem` is left alone), with both ports on free ports.
    struct Running {
        var server: Server
        var directory: String
        var clientPort: Int
        var metricsPort: Int

        func stop() async {
            await server.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Runs `body` against a fresh server, then shuts the server down and removes its data.
    func withServer(_ body: (Running) async throws -> Void) async throws {
        let running = try await startServer()
        do {
            try await body(running)
        } catch {
            await running.stop()
            throw error
        }
        await running.stop()
    }

    func startServer() async throws -> Running {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("synod-metrics-\(UUID().uuidString)").path
        let base = try #require(RealCluster.freeBasePort(size: 1), "no free loopback ports")
        var configuration = ServerConfiguration(
            id: 1, peers: [1: "127.0.0.1:\(base + 1)"], dataDirectory: directory, clientPort: 0)
        let registry = PrometheusCollectorRegistry()
        configuration.metricsRegistry = registry
        configuration.metricsFactory = SynodMetrics.makeFactory(registry: registry)
        configuration.metricsPort = 0
        let server = try await Server.start(configuration, bootstrap: true, logger: Self.logger)
        guard let clientPort = server.clientPort, let metricsPort = server.metricsPort else {
            await server.shutdown()
            throw MetricsTestError("the server bound no client or metrics port")
        }
        return Running(server: server, directory: directory, clientPort: clientPort, metricsPort: metricsPort)
    }

    /// Waits for the node to lead, then writes `count` keys; returns the connected client.
    func write(_ count: Int, to port: Int) throws -> RESPClient {
        let client = try #require(
            poll(timeout: 10) { () -> RESPClient? in
                guard let client = try? RESPClient(host: "127.0.0.1", port: port),
                    (try? client.call("SET", "k0", "v")) == .ok
                else { return nil }
                return client
            }, "the single-node server never accepted a write")
        for i in 1..<count { try #require(try client.call("SET", "k\(i)", "v\(i)") == .ok) }
        return client
    }

    @Test func aScrapeAfterWritesShowsTheRaftStateAndTheWALLatency() async throws {
        try await withServer { try scrapeAfterWrites($0) }
    }

    func scrapeAfterWrites(_ running: Running) throws {
        let client = try write(10, to: running.clientPort)
        #expect(try client.call("GET", "k3") == .bulk("v3"))
        guard case .error = try client.call("NOSUCHCOMMAND") else {
            Issue.record("an unknown command was not refused")
            return
        }
        let garbage = try RESPClient(host: "127.0.0.1", port: running.clientPort)
        try garbage.send([UInt8(ascii: "*"), 0x00, 0xFF, 0x0D, 0x0A])
        guard case .error = try garbage.receive() else {
            Issue.record("bytes that are not RESP were not refused")
            return
        }

        let response = try HTTPExchange.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", port: running.metricsPort)
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true, "\(response.head)")
        let samples = PrometheusSamples(response.body)
        let node = ["node": "1"]

        #expect(samples["synod_term", node].map { $0 >= 1 } == true, "term: \(response.body)")
        let commit = try #require(samples["synod_commit_index", node], "no commit index in \(response.body)")
        #expect(commit >= 10, "10 writes (and the leader's no-op) are committed")
        #expect(samples["synod_applied_index", node] == commit, "a single node applies what it commits")
        #expect(samples["synod_last_log_index", node] == commit)
        #expect(samples["synod_leader_id", node] == 1)
        #expect(samples["synod_role", ["node": "1", "role": "leader"]] == 1)
        #expect(samples["synod_role", ["node": "1", "role": "follower"]] == 0)
        #expect(samples["synod_elections_started_total", node].map { $0 >= 1 } == true)
        #expect(samples["synod_leader_changes_total", node] == 1)
        #expect(samples["synod_peers_connected", node] == 0, "a single node has no peers")

        let appends = try #require(samples["synod_wal_append_duration_seconds_count", node], "\(response.body)")
        #expect(appends >= 10, "each acknowledged write waited for at least one disk batch")
        #expect(samples["synod_wal_append_duration_seconds_sum", node].map { $0 > 0 } == true)
        let bucket = ["node": "1", "le": "+Inf"]
        #expect(samples["synod_wal_append_duration_seconds_bucket", bucket] == appends)
        #expect(samples["synod_wal_fsync_duration_seconds_count", node].map { $0 >= appends } == true)
        #expect(samples["synod_wal_batch_entries_sum", node].map { $0 >= 10 } == true, "every entry was written")
        #expect(samples["synod_wal_batch_entries_count", node] == appends)

        #expect(samples["synod_client_requests_total", ["node": "1", "kind": "write"]].map { $0 >= 10 } == true)
        #expect(samples["synod_client_requests_total", ["node": "1", "kind": "get"]] == 1)
        #expect(samples["synod_client_requests_total", ["node": "1", "kind": "invalid"]] == 1)
        #expect(samples["synod_client_errors_total", ["node": "1", "kind": "invalid"]] == 1)
        #expect(samples["synod_client_errors_total", ["node": "1", "kind": "protocol"]] == 1)
        #expect(samples["synod_client_errors_total", ["node": "1", "kind": "write"]] == 0)
    }

    @Test func badHTTPGetsAnErrorAndTheServerKeepsServing() async throws {
        try await withServer { try badRequests($0) }
    }

    func badRequests(_ running: Running) throws {
        let client = try write(1, to: running.clientPort)
        let port = running.metricsPort

        let garbage = try HTTPExchange.send("\u{01}\u{02} not http at all\r\n\r\n", port: port)
        #expect(garbage.status == 400, "\(garbage.head)")
        let hugeHeader = "GET /metrics HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n"
        #expect(try HTTPExchange.send(hugeHeader, port: port).status == 400, "headers are bounded")
        let bigBody = "POST /metrics HTTP/1.1\r\nContent-Length: 100000\r\n\r\n"
        #expect(try HTTPExchange.send(bigBody, port: port).status == 413, "bodies are bounded")
        let elsewhere = try HTTPExchange.send("GET /other HTTP/1.1\r\nConnection: close\r\n\r\n", port: port)
        #expect(elsewhere.status == 404)
        let post = try HTTPExchange.send("POST /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", port: port)
        #expect(post.status == 405)

        let scrape = try HTTPExchange.send("GET /metrics?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n", port: port)
        #expect(scrape.status == 200)
        #expect(PrometheusSamples(scrape.body)["synod_commit_index", ["node": "1"]].map { $0 >= 1 } == true)
        #expect(try client.call("SET", "after", "fine") == .ok, "the client port still serves")
        #expect(try client.call("GET", "after") == .bulk("fine"))
    }
}

struct MetricsTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One HTTP exchange over a raw loopback socket: sends the bytes, reads one response.
struct HTTPExchange {
    var status: Int
    var head: String
    var body: String

    func header(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Reads until the response's `Content-Length` is in, or the server closes.
    static func send(_ request: String, port: Int, timeout: Int = 5) throws -> HTTPExchange {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw MetricsTestError("socket: errno \(errno)") }
        defer { close(socket) }
        var interval = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw MetricsTestError("connect to \(port): errno \(errno)") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413, 400) and close before it has read everything.
            guard n > 0 else { break }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            if let response = parse(received) { return response }
            let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += chunk[..<n]
        }
        guard let response = parse(received, complete: true) else {
            throw MetricsTestError("no HTTP response: \(String(decoding: received, as: UTF8.self))")
        }
        return response
    }

    private static func parse(_ bytes: [UInt8], complete: Bool = false) -> HTTPExchange? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<end.lowerBound])
        let body = String(text[end.upperBound...])
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { return nil }
        var response = HTTPExchange(status: status, head: head, body: body)
        if let length = response.header("content-length").flatMap({ Int($0) }) {
            guard body.utf8.count >= length else { return nil }
            response.body = String(body.utf8.prefix(length))!
            return response
        }
        return complete ? response : nil
    }
}

/// The samples of a Prometheus text exposition, looked up by name and exact label set.
struct PrometheusSamples {
    var samples: [String: [([String: String], Double)]] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: Substring
            if let open = series.firstIndex(of: "{"), series.last == "}" {
                name = series[..<open]
                let inner = series[series.index(after: open)..<series.index(before: series.endIndex)]
                for pair in inner.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            } else {
                name = series
            }
            samples[String(name), default: []].append((labels, value))
        }
    }

    subscript(name: String, labels: [String: String]) -> Double? {
        samples[name]?.first { $0.0 == labels }?.1
    }
}
