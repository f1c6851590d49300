import Foundation
import Histogram
import Synchronization
import SynodCore
import SynodServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Set by SIGINT or SIGTERM: the clients stop after their current operation, and the
/// command still prints what it measured and stops the cluster it started.
let benchKVInterrupted = Atomic<Bool>(false)

/// The load of one `synod bench kv` run: closed-loop clients, each an OS thread with
/// its own blocking connection, sending one request and waiting for its answer before
/// the next. The run stops after `operations` operations or `seconds`, whichever comes
/// first.
struct BenchKVLoad: Sendable {
    var host: String
    var port: Int
    var clients: Int
    var operations: Int
    var seconds: Double
    var valueSize: Int
    var readRatio: Double
    var keys: Int
    /// Seconds one send or receive may block before the operation counts as failed.
    var timeout: Double
    var seed: UInt64

    /// The key of index `index`: `bench:000042`.
    static func key(_ index: Int) -> [UInt8] {
        let digits = String(index)
        return Array(("bench:" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8)
    }

    /// What the run measured. Latencies are in microseconds, from the first byte sent to
    /// the whole answer received; failed operations are counted, not timed.
    struct Result: Sendable {
        var writes = Histogram<UInt64>(
            highestTrackableValue: Self.highestLatency, numberOfSignificantValueDigits: .three)
        var reads = Histogram<UInt64>(
            highestTrackableValue: Self.highestLatency, numberOfSignificantValueDigits: .three)
        var writeErrors = 0
        var readErrors = 0
        /// Each distinct failure's text and how often it happened.
        var failures: [String: Int] = [:]
        /// Wall-clock seconds from the first request to the last client's end.
        var elapsed = 0.0
        /// This process's user and system CPU seconds over the run (every thread).
        var userCPU = 0.0
        var systemCPU = 0.0

        static let highestLatency: UInt64 = 600_000_000

        var attempted: Int { Int(writes.totalCount + reads.totalCount) + writeErrors + readErrors }
        var errors: Int { writeErrors + readErrors }

        /// The generator's CPU use, in percent of one core.
        var cpuPercent: Double { elapsed > 0 ? 100 * (userCPU + systemCPU) / elapsed : 0 }

        mutating func add(_ other: Result) {
            writes.add(other.writes)
            reads.add(other.reads)
            writeErrors += other.writeErrors
            readErrors += other.readErrors
            failures.merge(other.failures, uniquingKeysWith: +)
        }
    }

    /// How a client picks its next operation.
    enum Mode: Sendable {
        /// Write key `n` for the `n`th operation handed out: every key once, in order.
        case prefill
        /// A random key, a read with probability `readRatio`.
        case mixed
    }

    /// Runs the load and returns what it measured.
    func run(_ mode: Mode) -> Result {
        let limit = mode == .prefill ? keys : operations
        let claimed = Atomic<Int>(0)
        let merged = Mutex(Result())
        let cpuBefore = processCPU()
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        onThreads(clients) { client in
            var local = Result()
            var generator = SeededGenerator(seed: seed, stream: UInt64(client))
            let value = (0..<valueSize).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 26) }
            var connection: BenchKVConnection?
            var request: [UInt8] = []
            request.reserveCapacity(valueSize + 64)
            while monotonicNanoseconds() < deadline, !benchKVInterrupted.load(ordering: .relaxed) {
                let number = claimed.wrappingAdd(1, ordering: .relaxed).oldValue
                guard number < limit else { break }
                let isRead: Bool
                let key: [UInt8]
                switch mode {
                case .prefill:
                    (isRead, key) = (false, Self.key(number))
                case .mixed:
                    key = Self.key(Int(generator.next() % UInt64(keys)))
                    isRead = Double(generator.next() >> 11) * 0x1p-53 < readRatio
                }
                request.removeAll(keepingCapacity: true)
                if isRead {
                    BenchKVConnection.encode([Self.get, key[...]], into: &request)
                } else {
                    BenchKVConnection.encode([Self.set, key[...], value[...]], into: &request)
                }
                let before = monotonicNanoseconds()
                do throws(BenchKVError) {
                    if connection == nil {
                        connection = try BenchKVConnection(host: host, port: port, timeout: timeout)
                    }
                    let answer = try connection!.roundTrip(request)
                    try Self.check(answer, isRead: isRead)
                    let microseconds = (monotonicNanoseconds() - before) / 1_000
                    if isRead {
                        local.reads.record(min(microseconds, Result.highestLatency))
                    } else {
                        local.writes.record(min(microseconds, Result.highestLatency))
                    }
                } catch {
                    if isRead { local.readErrors += 1 } else { local.writeErrors += 1 }
                    local.failures[error.description, default: 0] += 1
                    switch error {
                    case .answer:
                        break  // The connection is fine: the server answered with an error.
                    case .connect:
                        // Give a server that is down a moment rather than spinning.
                        connection = nil
                        usleep(100_000)
                    case .io, .closed:
                        connection = nil
                    }
                }
            }
            merged.withLock { $0.add(local) }
        }
        let end = monotonicNanoseconds()
        let cpuAfter = processCPU()
        var result = merged.withLock { $0 }
        result.elapsed = Double(end - start) / 1e9
        result.userCPU = cpuAfter.user - cpuBefore.user
        result.systemCPU = cpuAfter.system - cpuBefore.system
        return result
    }

    private static let get = Array("GET".utf8)[...]
    private static let set = Array("SET".utf8)[...]

    /// A write must answer `+OK`, a read a bulk string (or nil, for a key never written);
    /// anything else is a failure.
    private static func check(_ answer: RESPValue, isRead: Bool) throws(BenchKVError) {
        switch answer {
        case .error(let message):
            throw .answer("error answer: \(message)")
        case .bulkString where isRead:
            return
        case .simpleString("OK") where !isRead:
            return
        default:
            throw .answer("unexpected answer to \(isRead ? "GET" : "SET"): \(String(describing: answer).prefix(80))")
        }
    }
}

/// This process's user and system CPU seconds so far, every thread included.
func processCPU() -> (user: Double, system: Double) {
    var usage = rusage()
    #if canImport(Glibc) || canImport(Musl)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return (seconds(usage.ru_utime), seconds(usage.ru_stime))
}
