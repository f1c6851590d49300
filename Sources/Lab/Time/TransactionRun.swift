import Checker
import KV
import Simulation
import SynodCore

/// One replicated group serving timestamped transactions, as Spanner and CockroachDB do
/// within one range: node 1 leads (holds the locks, the timestamp cache and the MVCC
/// store; replication to a majority is a seeded delay), and every node is a gateway
/// for its clients. Clients run closed loops of read-write transactions (1–3 keys,
/// read-modify-write under locks at the leader) and read-only ones (1–3 keys).
///
/// With TrueTime the leader stamps a write `ClockBound.now().latest` on its own clock
/// and, with commit wait, makes it visible only once `earliest` has passed the stamp; a
/// read-only transaction reads at its gateway's `latest`. With hybrid clocks (the
/// CockroachDB way) the gateway stamps every transaction and a read restarts above a
/// value it meets inside its uncertainty window. `ExternalConsistencyCheck` judges the
/// history afterwards.
struct TransactionRun {
    enum Event: Sendable {
        case clientNext(client: Int)
        case arrive(transaction: Int)
        case replicated(transaction: Int)
        case waitCheck(transaction: Int)
        case reply(transaction: Int)
        case refused(transaction: Int)
        case collectGarbage
    }

    struct Transaction: Sendable {
        var client: Int
        var gateway: Int
        var keys: [String]
        var writes: Bool
        var start: Instant
        /// The commit timestamp (writes, once the leader chose it) or the read timestamp.
        var timestamp: HybridTimestamp
        /// Hybrid reads: values stamped up to here may have been written before the read began.
        var uncertaintyLimit: HybridTimestamp
        var replicated = false
        var waited = false
    }

    static let nodes = 3
    static let clients = 9
    static let keyCount = 32
    static let duration = TimeSpan.seconds(1)

    let variant: Variant
    let seed: UInt64
    let bound: ClockBound
    /// The hybrid clocks' maximum offset: two clocks each within ε of true time are
    /// within 2ε of each other.
    let maxOffset: TimeSpan
    var random: SeededGenerator
    var clocks: [PhysicalClock]
    var hybrid: [HybridClock]
    var queue = EventQueue<Event>()
    var now = Instant.zero
    var store = MVCCStore<HybridTimestamp>()
    var transactions: [Transaction] = []
    var locked: Set<String> = []
    var lockQueue: [Int] = []
    var pendingReads: [Int] = []
    /// TrueTime: timestamps chosen but not yet applied; a read at or above one waits.
    var inFlight: [HybridTimestamp] = []
    var lastAssigned = HybridTimestamp.zero
    /// The timestamp cache: TrueTime keeps the highest read served, hybrid one per key.
    var maxRead = HybridTimestamp.zero
    var readCache: [String: HybridTimestamp] = [:]
    var history: [TimestampedTransaction<HybridTimestamp>] = []
    var result: TimeRunResult

    init(variant: Variant, seed: UInt64, epsilon: TimeSpan) {
        self.variant = variant
        self.seed = seed
        bound = ClockBound(epsilon: epsilon)
        maxOffset = epsilon * 2
        random = SeededGenerator(seed: seed, stream: 41)
        var clockRandom = SeededGenerator(seed: seed, stream: 42)
        clocks = (0..<Self.nodes).map { _ in
            PhysicalClock.withinBound(epsilon, for: Self.duration, random: &clockRandom)
        }
        if variant.breaksBound { clocks = Self.breakBound(clocks, epsilon: epsilon, random: &clockRandom) }
        hybrid = Array(repeating: HybridClock(maxOffset: epsilon * 2), count: Self.nodes)
        result = TimeRunResult(seed: seed, epsilon: epsilon)
    }

    /// One clock steps by 4–10 ε at some instant, the way the protocol cannot survive: the
    /// leader's ahead (its stamps run ahead of true time, so commit wait ends too soon) or
    /// a gateway's behind (its reads are stamped in the past).
    static func breakBound(
        _ clocks: [PhysicalClock], epsilon: TimeSpan, random: inout SeededGenerator
    ) -> [PhysicalClock] {
        var clocks = clocks
        let size = random.span(epsilon * 4, epsilon * 10)
        let at = Instant.zero + random.span(.milliseconds(100), .milliseconds(500))
        if random.chance(0.5) {
            clocks[0].step = PhysicalClock.Step(at: at, by: size)
        } else {
            let gateway = 1 + Int(random.next(upperBound: UInt64(nodes - 1)))
            clocks[gateway].step = PhysicalClock.Step(at: at, by: .zero - size)
        }
        return clocks
    }

    mutating func run() -> TimeRunResult {
        for client in 0..<Self.clients { queue.schedule(at: .zero, .clientNext(client: client)) }
        queue.schedule(at: .zero + .milliseconds(50), .collectGarbage)
        while let event = queue.next() {
            now = event.time
            handle(event.kind)
        }
        result.finished = history.count
        let scope: ExternalConsistencyCheck.Scope = variant.usesHybridClocks ? .sharedKeys : .allTransactions
        result.violation = ExternalConsistencyCheck.check(history, scope: scope)?.description
        return result
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .clientNext(let client): startTransaction(client: client)
        case .arrive(let id): arrive(id)
        case .replicated(let id):
            transactions[id].replicated = true
            commitIfReady(id)
        case .waitCheck(let id): waitCheck(id)
        case .reply(let id): finish(id)
        case .refused(let id): scheduleNext(client: transactions[id].client)
        case .collectGarbage:
            guard now < .zero + Self.duration else { return }
            let mark = clocks[0].read(now) - bound.epsilon - .milliseconds(500)
            store.collectGarbage(below: HybridTimestamp(wallTime: mark))
            queue.schedule(at: now + .milliseconds(50), .collectGarbage)
        }
    }

    // MARK: Clients and gateways

    mutating func startTransaction(client: Int) {
        guard now < .zero + Self.duration else { return }
        let gateway = client % Self.nodes
        var keys: [String] = []
        let count = 1 + Int(random.next(upperBound: 3 as UInt64))
        while keys.count < count {
            let key = "k\(random.next(upperBound: UInt64(Self.keyCount)))"
            if !keys.contains(key) { keys.append(key) }
        }
        let writes = random.chance(0.5)
        let physical = clocks[gateway].read(now)
        var timestamp = HybridTimestamp.zero
        var limit = HybridTimestamp.zero
        if variant.usesHybridClocks {
            timestamp = hybrid[gateway].now(physical: physical)
            limit = HybridTimestamp(wallTime: timestamp.wallTime + maxOffset, logical: .max)
        } else if !writes {
            timestamp = HybridTimestamp(wallTime: bound.now(physical: physical).latest)
        }
        transactions.append(
            Transaction(
                client: client, gateway: gateway, keys: keys, writes: writes, start: now, timestamp: timestamp,
                uncertaintyLimit: limit))
        queue.schedule(at: now + hop(gateway), .arrive(transaction: transactions.count - 1))
    }

    mutating func finish(_ id: Int) {
        let transaction = transactions[id]
        if variant.usesHybridClocks {
            let gateway = transaction.gateway
            do {
                _ = try hybrid[gateway].update(with: transaction.timestamp, physical: clocks[gateway].read(now))
            } catch {
                result.refused += 1
            }
        }
        history.append(
            TimestampedTransaction(
                id: id, start: transaction.start, finish: now, timestamp: transaction.timestamp,
                writes: transaction.writes, keys: transaction.keys))
        if transaction.writes {
            result.commitLatencies.append(now - transaction.start)
        } else {
            result.readLatencies.append(now - transaction.start)
        }
        scheduleNext(client: transaction.client)
    }

    mutating func scheduleNext(client: Int) {
        queue.schedule(at: now + random.span(.zero, .milliseconds(1)), .clientNext(client: client))
    }

    /// One-way latency between a gateway and the leader (a gateway on the leader's node
    /// is nearly free).
    mutating func hop(_ gateway: Int) -> TimeSpan {
        gateway == 0 ? .microseconds(20) : random.span(.microseconds(100), .microseconds(500))
    }

    /// Until a majority holds the write: the leader's own sync, in parallel with the
    /// faster follower's round trip and sync.
    mutating func replicationDelay() -> TimeSpan {
        let own = random.span(.microseconds(50), .microseconds(400))
        let followers = (1..<Self.nodes).map { _ in
            random.span(.microseconds(200), .milliseconds(1)) + random.span(.microseconds(50), .microseconds(400))
        }
        return max(own, followers.min()!)
    }
}
