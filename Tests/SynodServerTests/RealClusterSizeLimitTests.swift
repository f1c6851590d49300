import Foundation
import Synchronization
import SynodServer
import Testing

/// Large writes on a real cluster: a value the limits refuse is answered with an error
/// naming the limit, and writes of any size never leave a leader unable to replicate or
/// to store its log.
extension RealClusterTests {
    /// One value as large as a peer frame: it must be refused at the port, since no
    /// follower could take the entry that carries it, and nothing after it would commit.
    @Test func aValueAsLargeAsAPeerFrameIsAnsweredAndTheClusterKeepsCommitting() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let client = try RESPClient(host: "127.0.0.1", port: cluster.node(leader.id).clientPort, timeout: 20)
        let reply = try client.call("SET", "frame-sized", String(repeating: "f", count: 16 << 20))
        if case .error(let message) = reply, message.hasPrefix("ERR"), message.contains("limit") {
            #expect(try client.call("SET", "after", "small") == .ok, "the connection does not answer after the refusal")
        } else {
            Issue.record("expected -ERR naming a limit, got \(reply)")
        }
        for id in cluster.ids {
            let committed = poll(timeout: 10) { () -> Bool? in
                guard let client = cluster.client(id, timeout: 6) else { return nil }
                return (try? client.call("SET", "after-\(id)", "small")) == .ok ? true : nil
            }
            #expect(committed == true, "n\(id) cannot commit a small write\n\(cluster.logTails(lines: 3))")
        }
        #expect(cluster.ids.allSatisfy { !cluster.isGone($0) }, "a node stopped\n\(cluster.logTails())")
    }

    @Test func concurrentHugeWritesAreAnsweredAndTheClusterKeepsCommitting() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        // Six 12 MiB values at once: together more than a peer frame and a WAL record.
        let value = String(repeating: "h", count: 12 << 20)
        let replies = concurrentCalls(ports: [cluster.node(leader.id).clientPort], clients: 6, timeout: 20) { client in
            ["SET", "huge-\(client)", value]
        }
        for (client, reply) in replies.enumerated() {
            switch reply {
            case .success(.simpleString("OK")):
                continue
            case .success(.error(let message)) where message.hasPrefix("ERR") && message.contains("limit"):
                continue
            default:
                Issue.record("client \(client): expected +OK or -ERR naming a limit, got \(reply)")
            }
        }
        for id in cluster.ids {
            let committed = poll(timeout: 10) { () -> Bool? in
                guard let client = cluster.client(id, timeout: 2) else { return nil }
                return (try? client.call("SET", "after-\(id)", "small")) == .ok ? true : nil
            }
            #expect(committed == true, "n\(id) cannot commit a small write\n\(cluster.logTails())")
        }
        #expect(cluster.ids.allSatisfy { !cluster.isGone($0) }, "a node stopped\n\(cluster.logTails())")
    }

    /// On the leader and on a follower (which forwards): a value and a whole request at
    /// their limits commit; one byte more gets `-ERR` naming the limit, and the same
    /// connection goes on answering.
    @Test func requestsAtTheLimitsCommitAndOneByteMoreIsRefusedOnAnOpenConnection() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let limits = SizeLimits()
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let follower = cluster.ids.first { $0 != leader.id }!
        let value = String(repeating: "v", count: limits.value)
        let key = try #require(Self.key(filling: limits.command, with: value))
        for id in [leader.id, follower] {
            let client = try RESPClient(host: "127.0.0.1", port: cluster.node(id).clientPort, timeout: 10)
            #expect(try client.call("SET", "value-\(id)", value) == .ok, "n\(id): a value at the limit")
            Self.expectRefusal(
                try client.call("SET", "value-\(id)", value + "w"), naming: "value limit", "n\(id): a value over")
            #expect(try client.call("SET", key + "\(id)", value) == .ok, "n\(id): a request at the limit")
            Self.expectRefusal(
                try client.call("SET", key + "\(id)x", value), naming: "command limit", "n\(id): a request over")
            #expect(try client.call("GET", "value-\(id)") == .bulk(value), "n\(id): the value at the limit reads back")
            #expect(try client.call("EXISTS", key + "\(id)", key + "\(id)x") == .integer(1))
        }
        #expect(cluster.ids.allSatisfy { !cluster.isGone($0) }, "a node stopped\n\(cluster.logTails())")
    }

    /// Several clients write values at the limit at once, to the leader and through the
    /// followers, for a few rounds: every write commits. Prints the terms before and
    /// after: an election under this load would show as a new term.
    @Test func concurrentWritesOfValuesAtTheLimitAllCommit() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let limits = SizeLimits()
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let ports = cluster.ids.map { cluster.node($0).clientPort }
        let start = monotonicNow()
        for round in 0..<3 {
            let replies = concurrentCalls(ports: ports, clients: 8, timeout: 20) { client in
                ["SET", "at-limit-\(client)", String(repeating: Self.letter(round + client), count: limits.value)]
            }
            for (client, reply) in replies.enumerated() {
                #expect((try? reply.get()) == .ok, "round \(round), client \(client): \(reply)\n\(cluster.logTails())")
            }
        }
        let elapsed = seconds(since: start)
        let after = cluster.ids.compactMap { cluster.status($0) }
        print(
            "RealCluster at-limit writers: 3 rounds of 8 x \(limits.value) bytes in \(elapsed) s; leader term "
                + "\(leader.term) before, terms after: \(after.map { "n\($0.id)=\($0.role)@\($0.term)" })")
        let reader = try #require(cluster.client(cluster.ids.first { $0 != leader.id }!, timeout: 5))
        let expected = String(repeating: Self.letter(2 + 7), count: limits.value)
        #expect(try reader.call("GET", "at-limit-7") == .bulk(expected), "the last round's value reads back")
    }

    /// The `n`th lower-case letter, cycling: a different value for each client and round.
    static func letter(_ n: Int) -> Character { Character(UnicodeScalar(UInt8(97 + n % 26))) }

    /// A key that makes `SET key value` exactly `size` bytes on the wire, or nil.
    static func key(filling size: Int, with value: String) -> String? {
        var length = size - value.utf8.count - 40
        for _ in 0..<64 {
            var bytes: [UInt8] = []
            RESPEncoder.encode(
                .array(["SET", String(repeating: "k", count: length), value].map { .bulk($0) }), into: &bytes)
            if bytes.count == size { return String(repeating: "k", count: length - 1) }
            length += size - bytes.count
        }
        return nil
    }

    static func expectRefusal(_ reply: RESPValue, naming limit: String, _ what: String) {
        guard case .error(let message) = reply, message.hasPrefix("ERR"), message.contains(limit) else {
            Issue.record("\(what): expected -ERR naming the \(limit), got \(reply)")
            return
        }
    }
}

/// Sends one command per client, all at once, each on its own connection (client i to
/// `ports[i % ports.count]`) and thread, and returns each client's answer (or what went
/// wrong) in client order.
func concurrentCalls(
    ports: [Int], clients: Int, timeout: TimeInterval, _ command: @escaping @Sendable (Int) -> [String]
) -> [Result<RESPValue, RealClusterError>] {
    let results = CallResults()
    for client in 0..<clients {
        let thread = Thread {
            let result: Result<RESPValue, RealClusterError>
            do {
                let connection = try RESPClient(
                    host: "127.0.0.1", port: ports[client % ports.count], timeout: timeout)
                result = .success(try connection.call(command(client)))
            } catch {
                result = .failure(RealClusterError("\(error)"))
            }
            results.answers.withLock { $0[client] = result }
            results.finished.signal()
        }
        thread.start()
    }
    let deadline = DispatchTime.now() + timeout + 5
    for _ in 0..<clients where results.finished.wait(timeout: deadline) == .timedOut { break }
    let collected = results.answers.withLock { $0 }
    return (0..<clients).map { collected[$0] ?? .failure(RealClusterError("client \($0) did not finish")) }
}

/// What the threads of `concurrentCalls` answered, by client.
private final class CallResults: Sendable {
    let answers = Mutex<[Int: Result<RESPValue, RealClusterError>]>([:])
    let finished = DispatchSemaphore(value: 0)
}
