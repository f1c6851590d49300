import ArgumentParser
import Foundation
import Histogram
import SynodCore
import SynodServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `synod bench kv`: a closed-loop load generator against a running Synod cluster, in
/// the style of `redis-benchmark` but with writes and reads told apart, HdrHistogram
/// percentiles, every error counted, and the generator's own CPU use beside the figures.
///
/// Exit codes: 0 once the figures are printed; 1 when more than 1 % of the operations
/// failed; 2 on bad arguments or an unreachable target; 130 when interrupted (after
/// printing what was measured and stopping a cluster it started).
struct BenchKVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Load a Synod cluster with closed-loop clients; print ops/s, p50/p99/p999 and client CPU.",
        discussion: """
            Each client is a thread with its own connection that sends one request (SET or GET of a \
            random key among --keys, a GET with probability --read-ratio), waits for the answer, and \
            sends the next. The run stops after --ops operations in all or --seconds, whichever comes \
            first. When --read-ratio is above 0, every key is first written once (not measured), so \
            that reads return real values. Reads are linearizable (the server's read mode). \
            The target is --target, else the leader of the cluster in --dir (./synod-data), else \
            127.0.0.1:7201. With --start-cluster a fresh 3-node cluster is started in --dir (or a \
            temporary directory under the working directory, removed afterwards), loaded, and stopped. \
            Build in release mode: swift run -c release synod bench kv
            """
    )

    @Option(
        parsing: .unconditional, help: "Concurrent clients, each with its own connection, 1...1024. (default: 16)",
        transform: Limit.whole(1...1_024))
    var clients = 16

    @Option(
        parsing: .unconditional,
        help:
            "Operations in all, 1...1000000000 (the run stops at --ops or --seconds, whichever comes first). (default: 20000)",
        transform: Limit.whole(1...1_000_000_000))
    var ops = 20_000

    @Option(
        parsing: .unconditional,
        help: "The most seconds the measured run may take (above 0, at most 3600). (default: 60.0)",
        transform: Limit.seconds(atMost: 3_600))
    var seconds = 60.0

    @Option(
        parsing: .unconditional, help: "Bytes per value written, 0...67108864 (64 MiB). (default: 256)",
        transform: Limit.whole(0...(64 << 20), why: " (64 MiB)"))
    var valueSize = 256

    @Option(
        parsing: .unconditional,
        help: "Fraction of operations that are reads (GET), 0...1; the rest are writes (SET). (default: 0.5)",
        transform: Limit.number(0...1))
    var readRatio = 0.5

    @Option(
        parsing: .unconditional, help: "Distinct keys the operations pick from, 1...10000000. (default: 1000)",
        transform: Limit.whole(1...10_000_000))
    var keys = 1_000

    @Option(help: "HOST:PORT of the server to load (default: the leader of the cluster in --dir, else 127.0.0.1:7201).")
    var target: String?

    @Flag(help: "Start a fresh 3-node cluster, load its leader, and stop it afterwards.")
    var startCluster = false

    @Option(help: "The cluster's directory: where to find it (default ./synod-data), or where --start-cluster puts it.")
    var dir: String?

    @Option(
        parsing: .unconditional,
        help: "With --start-cluster: the port base, 1024...65000 (default: the first free one from 17100 on).",
        transform: Limit.whole(1_024...65_000, why: " (the cluster takes ports up to base+103)"))
    var basePort: Int?

    @Option(
        parsing: .unconditional,
        help: "With --start-cluster: the servers' heartbeat interval, at most 1m (default: synod serve's).",
        transform: Limit.span(atMost: ServeCommand.longestHeartbeat))
    var heartbeatInterval: TimeSpan?

    @Option(
        parsing: .unconditional,
        help: "With --start-cluster: the servers' minimum election timeout, at most 24h (default: synod serve's).",
        transform: Limit.span(atMost: ServeCommand.longestElectionTimeout))
    var electionTimeout: TimeSpan?

    @Option(
        parsing: .unconditional,
        help:
            "Seconds one request may wait for its answer before it counts as failed (above 0, at most 600). (default: 5.0)",
        transform: Limit.seconds(atMost: 600))
    var timeout = 5.0

    @Option(
        parsing: .unconditional,
        help: "Seed of the key and read/write choices, any 64-bit unsigned number. (default: 1)",
        transform: Limit.seed)
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        // The numbers are checked against their limits as they are parsed.
        if let target {
            _ = try Limit.address(target, of: "--target")
            guard BenchKVCommand.parse(target: target) != nil else {
                throw ValidationError("--target must be HOST:PORT with an IPv4 host, like 127.0.0.1:7201.")
            }
        }
        if target != nil, startCluster { throw ValidationError("--target and --start-cluster exclude each other.") }
        if basePort != nil, !startCluster { throw ValidationError("--base-port needs --start-cluster.") }
        if heartbeatInterval != nil || electionTimeout != nil {
            guard startCluster else {
                throw ValidationError("--heartbeat-interval and --election-timeout need --start-cluster.")
            }
            try ServeCommand.validateTiming(
                heartbeat: heartbeatInterval ?? ServeCommand.defaultHeartbeatInterval,
                election: electionTimeout ?? ServeCommand.defaultElectionTimeout)
        }
    }

    /// The timing flags given, passed on to `synod cluster start`.
    private var timingOptions: [String] {
        (heartbeatInterval.map { ["--heartbeat-interval", "\($0)"] } ?? [])
            + (electionTimeout.map { ["--election-timeout", "\($0)"] } ?? [])
    }

    static func parse(target: String) -> (host: String, port: Int)? {
        guard let (host, port) = parseHostPort(target) else { return nil }
        var address = in_addr()
        guard host == "localhost" || inet_pton(AF_INET, host, &address) == 1 else { return nil }
        return (host, port)
    }

    func run() throws {
        var standardError = StandardStream.error
        installInterruptHandlers()
        var cluster: BenchKVCluster?
        defer { cluster?.stop() }
        if startCluster {
            do {
                cluster = try BenchKVCluster.start(in: dir, basePort: basePort, options: timingOptions)
            } catch {
                print("synod bench kv: \(error)", to: &standardError)
                throw ExitCode(2)
            }
        } else if target == nil {
            cluster = BenchKVCluster.find(in: dir ?? "./synod-data")
        }
        let (host, port, description) = try resolveTarget(cluster)
        if benchKVInterrupted.load(ordering: .relaxed) { throw ExitCode(130) }
        do {
            let probe = try BenchKVConnection(host: host, port: port, timeout: timeout)
            var ping: [UInt8] = []
            BenchKVConnection.encode([Array("PING".utf8)[...]], into: &ping)
            _ = try probe.roundTrip(ping)
        } catch {
            print("synod bench kv: the target \(host):\(port) cannot be reached: \(error)", to: &standardError)
            throw ExitCode(2)
        }

        let load = BenchKVLoad(
            host: host, port: port, clients: clients, operations: ops, seconds: seconds, valueSize: valueSize,
            readRatio: readRatio, keys: keys, timeout: timeout, seed: seed)
        var report = BenchKVReport(load: load, target: description)
        let watched = cluster?.nodes.filter(\.isRunning).map(\.clientPort) ?? [port]
        let before = BenchKVElections.observe(ports: watched)
        report.elections.termBefore = before?.term
        report.elections.leaderBefore = before?.leader
        if readRatio > 0 {
            report.prefill = load.run(.prefill)
        }
        let serversBefore = cluster?.serverCPU() ?? [:]
        let measured = load.run(.mixed)
        let serversAfter = cluster?.serverCPU() ?? [:]
        report.measured = measured
        let after = BenchKVElections.observe(ports: watched)
        report.elections.termAfter = after?.term
        report.elections.leaderAfter = after?.leader
        for (id, after) in serversAfter.sorted(by: { $0.key < $1.key }) {
            if let before = serversBefore[id], measured.elapsed > 0 {
                report.serverCPU.append((id, 100 * (after - before) / measured.elapsed))
            }
        }
        report.interrupted = benchKVInterrupted.load(ordering: .relaxed)
        var output = StandardStream.output
        print(json ? report.json() : report.text(), to: &output)

        if report.interrupted { throw ExitCode(130) }
        let attempted = measured.attempted + (report.prefill?.attempted ?? 0)
        let errors = measured.errors + (report.prefill?.errors ?? 0)
        if errors * 100 > attempted { throw ExitCode(1) }
    }

    /// The address to load and how to describe it.
    private func resolveTarget(_ cluster: BenchKVCluster?) throws -> (String, Int, String) {
        if let target, let (host, port) = Self.parse(target: target) {
            return (host == "localhost" ? "127.0.0.1" : host, port, "\(host):\(port)")
        }
        guard let cluster else { return ("127.0.0.1", 7_201, "127.0.0.1:7201 (no cluster found, the default)") }
        guard let (id, port) = cluster.leaderPort(timeout: 10) else {
            var standardError = StandardStream.error
            print("synod bench kv: the cluster in \(cluster.directory) names no leader", to: &standardError)
            throw ExitCode(2)
        }
        return ("127.0.0.1", port, "127.0.0.1:\(port), leader n\(id) of the cluster in \(cluster.directory)")
    }

    private func installInterruptHandlers() {
        let handler: @convention(c) (Int32) -> Void = { _ in benchKVInterrupted.store(true, ordering: .relaxed) }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}
