import Checker
import Foundation
import Synchronization
import SynodCore
import SynodServer

/// Client threads against a real cluster, each on its own connection (client i starts at
/// node i mod n and moves to the next node when its connection fails), recording every
/// operation the way the linearizability checker reads it: an acknowledged SET is `ok`,
/// a SET answered with an error or not answered is `info` (it may still apply, later),
/// a GET that read something is `ok`, a GET that did not is `fail`. A connection that
/// cannot be opened records nothing.
final class RecordedWorkload: Sendable {
    enum Mix: Sendable {
        /// Every client SETs and GETs keys `k0`...: concurrent writers on each key.
        case sharedKeys(Int)
        /// Client i only SETs `w<i>`: one writer per key, so its last acknowledged value is known.
        case ownKey
    }

    let ports: [Int]
    let clients: Int
    let mix: Mix
    let seed: UInt64
    private let recorded = Mutex<[HistoryOperation]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(ports: [Int], clients: Int, mix: Mix, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.ports = ports
        self.clients = clients
        self.mix = mix
        self.seed = seed
    }

    var keys: [String] {
        switch mix {
        case .sharedKeys(let count): (0..<count).map { "k\($0)" }
        case .ownKey: (0..<clients).map { "w\($0)" }
        }
    }

    func start() {
        for client in 0..<clients {
            let thread = Thread { [self] in
                run(client: client)
                finished.signal()
            }
            thread.start()
        }
    }

    /// Asks the clients to stop and waits for them (each is blocked at most one call
    /// timeout); false if one did not stop in `timeout` seconds.
    func stop(timeout: Double = 5) -> Bool {
        stopping.store(true, ordering: .relaxed)
        let deadline = DispatchTime.now() + timeout
        return (0..<clients).allSatisfy { _ in finished.wait(timeout: deadline) == .success }
    }

    var operations: [HistoryOperation] { recorded.withLock { $0 } }

    var count: Int { recorded.withLock { $0.count } }

    private func record(_ operation: HistoryOperation) {
        recorded.withLock { $0.append(operation) }
    }

    private func run(client: Int) {
        var random = SeededGenerator(seed: seed, stream: UInt64(client))
        var node = client % ports.count
        var connection: RESPClient?
        var written = 0
        // Bounded; the stop flag ends the loop long before.
        for _ in 0..<200_000 {
            guard !stopping.load(ordering: .relaxed) else { return }
            guard let open = connection ?? (try? RESPClient(host: "127.0.0.1", port: ports[node], timeout: 1)) else {
                node = (node + 1) % ports.count
                usleep(10_000)
                continue
            }
            connection = open
            let key: String
            let isWrite: Bool
            switch mix {
            case .sharedKeys(let count):
                key = "k\(random.next(upperBound: UInt64(count)))"
                isWrite = random.chance(0.5)
            case .ownKey:
                key = "w\(client)"
                isWrite = true
            }
            let call = monotonicNow()
            if isWrite {
                written += 1
                let value = "c\(client)-\(written)"
                let reply = try? open.call("SET", key, value)
                let end = monotonicNow()
                let acknowledged = reply == .ok
                record(
                    HistoryOperation(
                        client: client, op: .put, key: key, value: value, call: call,
                        return: acknowledged ? end : nil, status: acknowledged ? .ok : .info))
                if reply == nil { connection = nil }
            } else {
                let reply = try? open.call("GET", key)
                let end = monotonicNow()
                if case .bulkString(let bytes)? = reply {
                    let value = bytes.map { String(decoding: $0, as: UTF8.self) }
                    record(
                        HistoryOperation(
                            client: client, op: .get, key: key, value: value, call: call, return: end, status: .ok))
                } else {
                    record(HistoryOperation(client: client, op: .get, key: key, call: call, return: end, status: .fail))
                }
                if reply == nil { connection = nil }
            }
            if connection == nil { node = (node + 1) % ports.count }
        }
    }
}

/// Counts of a history by kind and status, for the printed figures.
struct HistoryFigures: CustomStringConvertible {
    var operations = 0
    var writes = 0
    var reads = 0
    var ok = 0
    var info = 0
    var fail = 0

    init(_ history: [HistoryOperation]) {
        operations = history.count
        for operation in history {
            if operation.op == .get { reads += 1 } else { writes += 1 }
            switch operation.status {
            case .ok: ok += 1
            case .info: info += 1
            case .fail: fail += 1
            }
        }
    }

    var description: String {
        "\(operations) operations (\(writes) SET, \(reads) GET): \(ok) ok, \(info) info, \(fail) fail"
    }
}
