import Foundation
import SynodServer
import Testing

/// The Redis string and key-space commands on a real cluster: a write through one node,
/// its answer and the state read back through another, as a Redis client sees them.
extension RealClusterTests {
    @Test func redisStringCommandsAnswerAsRedisDoesAcrossNodes() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        try #require(poll(timeout: 10) { cluster.leader() } != nil, "no leader\n\(cluster.logTails())")
        let one = try RESPClient(host: "127.0.0.1", port: cluster.node(1).clientPort, timeout: 5)
        let two = try RESPClient(host: "127.0.0.1", port: cluster.node(2).clientPort, timeout: 5)

        // Counters.
        #expect(try one.call("INCRBY", "n", "10") == .integer(10))
        #expect(try two.call("DECR", "n") == .integer(9))
        #expect(try one.call("DECRBY", "n", "20") == .integer(-11))
        #expect(try two.call("GET", "n") == .bulk("-11"))
        #expect(try one.call("SET", "big", "9223372036854775807") == .ok)
        #expect(try one.call("INCRBY", "big", "1") == .error("ERR increment or decrement would overflow"))
        #expect(try one.call("DECRBY", "n", "-9223372036854775808") == .error("ERR decrement would overflow"))
        #expect(try one.call("INCRBY", "n", "x") == .error("ERR value is not an integer or out of range"))
        #expect(try one.call("SET", "word", "hello") == .ok)
        #expect(try one.call("DECR", "word") == .error("ERR value is not an integer or out of range"))

        // Lengths, get-and-write, set-if-absent.
        #expect(try two.call("STRLEN", "word") == .integer(5))
        #expect(try two.call("STRLEN", "nothing") == .integer(0))
        #expect(try one.call("SET", "é", "été") == .ok)
        #expect(try two.call("STRLEN", "é") == .integer(5), "bytes, not characters")
        #expect(try one.call("GETSET", "word", "world") == .bulk("hello"))
        #expect(try two.call("GETSET", "fresh", "1") == .nullBulkString)
        #expect(try one.call("SET", "word", "again", "GET") == .bulk("world"))
        #expect(try one.call("SET", "word", "nope", "NX", "GET") == .bulk("again"))
        #expect(try two.call("GET", "word") == .bulk("again"))
        #expect(try one.call("GETDEL", "word") == .bulk("again"))
        #expect(try two.call("GETDEL", "word") == .nullBulkString)
        #expect(try one.call("SETNX", "word", "first") == .integer(1))
        #expect(try two.call("SETNX", "word", "second") == .integer(0))
        #expect(try one.call("GET", "word") == .bulk("first"))

        // MSET and MSETNX: all or nothing.
        #expect(try one.call("MSET", "m1", "a", "m2", "b", "m1", "c") == .ok)
        #expect(try two.call("MGET", "m1", "m2") == .array([.bulk("c"), .bulk("b")]))
        #expect(try two.call("MSETNX", "m2", "x", "m3", "y") == .integer(0))
        #expect(try one.call("EXISTS", "m3") == .integer(0))
        #expect(try two.call("MSETNX", "m3", "x", "m4", "y") == .integer(1))
        #expect(try one.call("MSET", "odd") == .error("ERR wrong number of arguments for 'mset' command"))

        // The key space.
        let keys = ["big", "fresh", "m1", "m2", "m3", "m4", "n", "word", "é"]
        #expect(try two.call("DBSIZE") == .integer(Int64(keys.count)))
        #expect(try one.call("KEYS", "*") == .array(keys.map { .bulk($0) }))
        #expect(try two.call("KEYS", "m[13]") == .array([.bulk("m1"), .bulk("m3")]))
        var scanned: [String] = []
        var cursor = "0"
        for _ in 0..<100 {
            guard case .array(let reply?) = try two.call("SCAN", cursor, "COUNT", "2"), reply.count == 2,
                case .bulkString(let next?) = reply[0], case .array(let batch?) = reply[1]
            else {
                Issue.record("SCAN answered something else")
                break
            }
            scanned += batch.compactMap {
                if case .bulkString(let key?) = $0 { String(decoding: key, as: UTF8.self) } else { nil }
            }
            cursor = String(decoding: next, as: UTF8.self)
            if cursor == "0" { break }
        }
        #expect(cursor == "0")
        #expect(scanned.sorted() == keys)
        #expect(try one.call("SCAN", "zero") == .error("ERR invalid cursor"))

        if let redisCLI = RedisTool.path("redis-cli") {
            let run = try RedisTool.run(
                redisCLI, ["-h", "127.0.0.1", "-p", "\(cluster.node(3).clientPort)", "--scan", "--pattern", "m*"])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.split(separator: "\n").map(String.init).sorted() == ["m1", "m2", "m3", "m4"])
        }

        // FLUSHALL empties every replica.
        #expect(try one.call("FLUSHALL") == .ok)
        #expect(try two.call("DBSIZE") == .integer(0))
        #expect(try two.call("KEYS", "*") == .array([]))
        #expect(try one.call("GET", "n") == .nullBulkString)
    }

    @Test func configGetAndInfoAnswerWhatToolsRead() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let leader = try #require(poll(timeout: 10) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let follower = cluster.ids.first { $0 != leader.id }!
        let client = try RESPClient(host: "127.0.0.1", port: cluster.node(follower).clientPort, timeout: 5)

        #expect(try client.call("CONFIG", "GET", "save") == .array([.bulk("save"), .bulk("")]))
        #expect(try client.call("CONFIG", "GET", "appendonly") == .array([.bulk("appendonly"), .bulk("yes")]))
        #expect(
            try client.call("CONFIG", "GET", "APPEND*", "appendonly")
                == .array([.bulk("appendfsync"), .bulk("always"), .bulk("appendonly"), .bulk("yes")]))
        #expect(try client.call("CONFIG", "GET", "maxmemory") == .array([]))

        #expect(try client.call("SET", "k", "v") == .ok)
        let all = try infoFields(client, [])
        #expect(all["process_id"] == "\(cluster.node(follower).pid)")
        #expect(all["tcp_port"] == "\(cluster.node(follower).clientPort)")
        #expect(all["uptime_in_seconds"].flatMap { Int($0) }.map { $0 >= 0 } == true)
        #expect(all["synod_version"] != nil && all["redis_version"] != nil)
        #expect(all["role"] == "slave")
        #expect(all["synod_leader"] == "\(leader.id)")
        #expect(all["synod_leader_peer_address"] == "127.0.0.1:\(cluster.node(leader.id).peerPort)")
        #expect(poll(timeout: 5) { try? infoFields(client, ["keyspace"])["db0"] } == "keys=1,expires=0,avg_ttl=0")

        let leaderClient = try RESPClient(host: "127.0.0.1", port: cluster.node(leader.id).clientPort, timeout: 5)
        let replication = try infoFields(leaderClient, ["replication"])
        #expect(replication["role"] == "master")
        #expect(replication["process_id"] == nil, "INFO replication shows only that section")
        #expect(try client.call("INFO", "cpu") == .bulk(""))
    }

    /// `redis-benchmark` reads `CONFIG GET save` and `appendonly` before it starts and
    /// warns when it cannot; a bounded run must print no warning and no error.
    @Test(.enabled(if: RedisTool.path("redis-benchmark") != nil, "redis-benchmark is not installed (redis-tools)"))
    func redisBenchmarkRunsWithoutAWarning() throws {
        let cluster = try RealCluster.launch(size: 1)
        defer { cluster.stop() }
        try #require(poll(timeout: 10) { cluster.leader() } != nil, "no leader\n\(cluster.logTails())")
        let arguments = [
            "-h", "127.0.0.1", "-p", "\(cluster.node(1).clientPort)", "-n", "2000", "-c", "8", "-t",
            "set,get,incr,mset",
            "-q",
        ]
        let run = try RedisTool.run(RedisTool.path("redis-benchmark")!, arguments, timeout: 120)
        print("redis-benchmark \(arguments.joined(separator: " ")):\n\(run.output)")
        #expect(run.status == 0)
        #expect(!run.output.contains("WARNING"), "\(run.output)")
        #expect(!run.output.contains("ERROR"), "\(run.output)")
        let lines = run.output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).filter {
            $0.contains("requests per second")
        }
        for test in ["SET", "GET", "INCR", "MSET"] {
            #expect(lines.contains { $0.hasPrefix(test) }, "no result for \(test): \(run.output)")
        }
    }

    /// `INFO` as `name:value` fields, the section headers and blank lines left out.
    private func infoFields(_ client: RESPClient, _ sections: [String]) throws -> [String: String] {
        guard case .bulkString(let bytes?) = try client.call(["INFO"] + sections) else { return [:] }
        var fields: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\r\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }
}

/// The Redis command-line tools (Debian's `redis-tools`), run as a user runs them.
enum RedisTool {
    /// The tool's path on the PATH, or nil when it is not installed.
    static func path(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the tool with standard output and error into one file; kills it after `timeout` seconds.
    static func run(_ path: String, _ arguments: [String], timeout: Double = 30) throws -> (
        status: Int32, output: String
    ) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("redis-tool-\(UUID().uuidString)")
        let pid = try spawnSynod(URL(fileURLWithPath: path), arguments, output: file.path, errors: nil, append: false)
        defer { try? FileManager.default.removeItem(at: file) }
        var status: Int32 = 0
        if poll(timeout: timeout, interval: 10_000, { waitpid(pid, &status, WNOHANG) == pid ? true : nil }) == nil {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw RealClusterError("\(path) did not finish in \(timeout) s")
        }
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, (try? String(contentsOf: file, encoding: .utf8)) ?? "")
    }
}
