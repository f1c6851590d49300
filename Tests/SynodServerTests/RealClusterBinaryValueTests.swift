import Foundation
import SynodServer
import Testing

/// Binary keys and values on a real cluster, as Redis clients send them: every byte
/// value, `\r\n`, NUL and bytes that are not UTF-8 come back exactly, through Synod's
/// client, `redis-cli` and the `redis` package for Python (`decode_responses=False`).
extension RealClusterTests {
    @Test func binaryKeysAndValuesRoundTripThroughRedisClients() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        try #require(poll(timeout: 10) { cluster.leader() } != nil, "no leader\n\(cluster.logTails())")
        let one = try RESPClient(host: "127.0.0.1", port: cluster.node(1).clientPort, timeout: 5)
        let two = try RESPClient(host: "127.0.0.1", port: cluster.node(2).clientPort, timeout: 5)
        let everyByte = (0...255).map { UInt8($0) }
        let odd: [UInt8] = [0xFF, 0xC3, 0x28, 0x0D, 0x0A, 0x00]
        func words(_ name: String, _ rest: [UInt8]...) -> [[UInt8]] { [Array(name.utf8)] + rest }

        #expect(try one.call(bytes: words("SET", everyByte, everyByte)) == .ok)
        #expect(try two.call(bytes: words("GET", everyByte)) == .bulkString(everyByte))
        #expect(try one.call(bytes: words("APPEND", everyByte, odd)) == .integer(262))
        #expect(try one.call(bytes: words("SET", odd, odd)) == .ok)
        #expect(
            try two.call(bytes: words("MGET", everyByte, odd, odd + [0x01]))
                == .array([.bulkString(everyByte + odd), .bulkString(odd), .bulkString(nil)]))
        #expect(try two.call(bytes: words("STRLEN", everyByte)) == .integer(262))
        #expect(try two.call(bytes: words("KEYS", [0xFF, UInt8(ascii: "*")])) == .array([.bulkString(odd)]))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synod-binary-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        if let redisCLI = RedisTool.path("redis-cli") {
            let input = directory.appendingPathComponent("in").path
            let output = directory.appendingPathComponent("out").path
            try Data(everyByte + odd).write(to: URL(fileURLWithPath: input))
            let set = try RedisTool.run(
                "/bin/sh",
                ["-c", "'\(redisCLI)' -h 127.0.0.1 -p \(cluster.node(3).clientPort) -x SET blob < '\(input)'"])
            #expect(set.status == 0 && set.output == "OK\n", "\(set.output)")
            let get = try RedisTool.run(
                "/bin/sh",
                ["-c", "'\(redisCLI)' -h 127.0.0.1 -p \(cluster.node(1).clientPort) --raw GET blob > '\(output)'"])
            #expect(get.status == 0, "\(get.output)")
            let read = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
            #expect(read == everyByte + odd + [0x0A], "redis-cli --raw writes the value, then a newline")
        } else {
            print("redis-cli is not installed: its part of the binary-value test did not run")
        }

        guard let python = try Self.pythonWithRedis(in: FileManager.default.temporaryDirectory.path) else { return }
        let script = """
            import sys, redis
            one = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), decode_responses=False, protocol=2, socket_timeout=10)
            two = redis.Redis(host="127.0.0.1", port=int(sys.argv[2]), decode_responses=False, protocol=2, socket_timeout=10)
            every = bytes(range(256)); odd = bytes([0xFF, 0xC3, 0x28, 0x0D, 0x0A, 0x00])
            assert one.set(b"py:" + every, every) is True
            assert two.get(b"py:" + every) == every
            assert one.append(b"py:" + every, odd) == 262
            assert two.mget([b"py:" + every, odd, b"missing"]) == [every + odd, odd, None]
            if len(sys.argv) > 3: assert two.get(b"blob") == every + odd
            print("ok")
            """
        let scriptPath = directory.appendingPathComponent("binary.py").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        var arguments = [scriptPath, "\(cluster.node(1).clientPort)", "\(cluster.node(2).clientPort)"]
        if RedisTool.path("redis-cli") != nil { arguments.append("blob") }
        let run = try RedisTool.run(python, arguments, timeout: 60)
        #expect(run.status == 0 && run.output == "ok\n", "\(run.output)")
    }

    /// A Python with the `redis` package: a virtual environment under `directory`, made
    /// and filled from PyPI on first use. `nil`, with the reason printed, when there is
    /// no Python or PyPI cannot be reached: that part of the test is then skipped.
    static func pythonWithRedis(in directory: String) throws -> String? {
        let environment = directory + "/synod-redis-py"
        let python = environment + "/bin/python"
        if FileManager.default.isExecutableFile(atPath: python),
            try RedisTool.run(python, ["-c", "import redis"], timeout: 30).status == 0
        {
            return python
        }
        guard let python3 = RedisTool.path("python3") else {
            print("python3 is not installed: the redis-py part of the binary-value test did not run")
            return nil
        }
        let setup = try RedisTool.run(
            "/bin/sh",
            ["-c", "'\(python3)' -m venv '\(environment)' && '\(environment)/bin/pip' install -q redis"],
            timeout: 180)
        guard setup.status == 0 else {
            print("could not install redis from PyPI (\(setup.output)): the redis-py part of the test did not run")
            return nil
        }
        return python
    }
}
