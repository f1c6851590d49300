import SynodCore

/// Seeded histories of a correct store, for benchmarks and tests: clients call
/// operations on a few keys, each operation takes effect at one instant inside its
/// jittered call–return interval, and what each client is told comes from a sequential
/// register per key applied in the order of those instants. Such a history is
/// linearizable by construction; `staleReadCopy(of:)` breaks one.
///
/// ```swift
/// let history = HistoryGenerator.history(HistoryGenerator.Options(operations: 1_000, keys: 10, clients: 5), seed: 1)
/// assert(LinearizabilityChecker.check(history).isLinearizable)
/// ```
public enum HistoryGenerator {
    public struct Options: Sendable, Hashable {
        public var operations: Int
        public var keys: Int
        public var clients: Int
        /// Fraction of operations whose outcome is unknown (`info`); half of them take
        /// effect (perhaps after the client gave up), half never do.
        public var infoRate: Double
        /// Fraction of operations rejected before they could take effect (`fail`).
        public var failRate: Double
        /// Longest call–return interval, in microseconds.
        public var maximumLatency: Int64
        /// Longest pause of a client between two operations, in microseconds.
        public var maximumThinkTime: Int64

        public init(
            operations: Int, keys: Int, clients: Int, infoRate: Double = 0.01, failRate: Double = 0.01,
            maximumLatency: Int64 = 1_000, maximumThinkTime: Int64 = 200
        ) {
            self.operations = operations
            self.keys = keys
            self.clients = clients
            self.infoRate = infoRate
            self.failRate = failRate
            self.maximumLatency = maximumLatency
            self.maximumThinkTime = maximumThinkTime
        }
    }

    /// A linearizable history: gets 50%, puts 20%, cas 15% (about half of them fail
    /// their comparison), appends 10%, deletes 5%.
    public static func history(_ options: Options, seed: UInt64) -> History {
        var random = SeededGenerator(seed: seed, stream: 0xC4EC)
        var free = [Int64](repeating: 0, count: max(1, options.clients))
        var operations: [HistoryOperation] = []
        /// The instant each operation takes effect, or nil if it never does.
        var effects: [Int64?] = []
        operations.reserveCapacity(options.operations)
        for index in 0..<options.operations {
            // The client that is free first calls next (ties: the lowest number).
            var client = 0
            for candidate in free.indices where free[candidate] < free[client] { client = candidate }
            let call = free[client] + Int64(random.next(upperBound: UInt64(options.maximumThinkTime) + 1))
            let latency = 1 + Int64(random.next(upperBound: UInt64(max(1, options.maximumLatency))))
            let returned = call + latency
            free[client] = returned
            let key = "k\(random.next(upperBound: UInt64(max(1, options.keys))))"
            let roll = random.next(upperBound: UInt64(100))
            var operation: HistoryOperation
            switch roll {
            case 0..<50:
                operation = HistoryOperation(
                    client: client, op: .get, key: key, call: call, return: returned, status: .ok)
            case 50..<70:
                operation = HistoryOperation(
                    client: client, op: .put, key: key, value: "c\(client)-\(index)", call: call, return: returned,
                    status: .ok)
            case 70..<85:
                // `from` is chosen when the operation takes effect, to make half of them succeed.
                let to: String? = random.chance(0.1) ? nil : "c\(client)-\(index)"
                operation = HistoryOperation(
                    client: client, op: .cas, key: key, from: nil, to: to, call: call, return: returned, status: .ok)
            case 85..<95:
                operation = HistoryOperation(
                    client: client, op: .append, key: key, value: "+\(index)", call: call, return: returned,
                    status: .ok)
            default:
                operation = HistoryOperation(
                    client: client, op: .delete, key: key, call: call, return: returned, status: .ok)
            }
            var effect: Int64? = call + Int64(random.next(upperBound: UInt64(latency) + 1))
            if random.chance(options.failRate) {
                operation.status = .fail
                effect = nil
            } else if random.chance(options.infoRate) {
                operation.status = .info
                effect =
                    random.chance(0.5)
                    ? nil : call + Int64(random.next(upperBound: UInt64(latency + 2 * options.maximumLatency)))
            }
            operations.append(operation)
            effects.append(effect)
        }

        // Apply the operations in the order they take effect, one register per key.
        var values: [String: String] = [:]
        let order = operations.indices.filter { effects[$0] != nil }.sorted { (effects[$0]!, $0) < (effects[$1]!, $1) }
        for index in order {
            let key = operations[index].key
            let current = values[key]
            switch operations[index].op {
            case .get:
                operations[index].value = current
            case .put:
                values[key] = operations[index].value
            case .delete:
                values[key] = nil
            case .append:
                values[key] = (current ?? "") + (operations[index].value ?? "")
            case .cas:
                let from: String? = random.chance(0.5) ? current : "c\(random.next(upperBound: UInt64(10)))-0"
                operations[index].from = from
                let succeeded = from == current
                if operations[index].status == .ok { operations[index].ok = succeeded }
                if succeeded { values[key] = operations[index].to }
            }
        }
        for index in operations.indices where effects[index] == nil && operations[index].op == .cas {
            operations[index].from = "c\(random.next(upperBound: UInt64(10)))-0"
            if operations[index].status == .ok { operations[index].ok = false }
        }
        for index in operations.indices where operations[index].status != .ok && operations[index].op == .get {
            operations[index].value = nil
        }
        for index in operations.indices where operations[index].status == .info && random.chance(0.5) {
            operations[index].return = nil
        }
        return History(operations)
    }

    /// A copy in which one `get`, at about `position` (a fraction of the history), reads a
    /// value that was certainly overwritten before it was called: a stale read, which no
    /// order can explain. Nil when the history has no such pair of writes before a read.
    public static func staleReadCopy(of history: History, at position: Double = 0.5) -> History? {
        let operations = history.operations
        let definiteReads = operations.indices.filter {
            operations[$0].op == .get && operations[$0].status == .ok
        }
        let unique = uniquelyWritten(operations)
        let middle = start(of: operations, at: position)
        let candidates = definiteReads.filter { $0 >= middle } + definiteReads.filter { $0 < middle }.reversed()
        for read in candidates {
            let get = operations[read]
            // The latest blind write that returned before the read was called...
            let overwrite = operations.indices.last { index in
                let operation = operations[index]
                return operation.key == get.key && operation.status == .ok
                    && (operation.op == .put || operation.op == .delete) && (operation.return ?? .max) < get.call
            }
            guard let overwrite else { continue }
            // ...and a put, with a value nobody else writes, that returned before it was called.
            let stale = operations.indices.last { index in
                let operation = operations[index]
                return operation.key == get.key && operation.status == .ok && operation.op == .put
                    && (operation.return ?? .max) < operations[overwrite].call
                    && operation.value != get.value && unique.contains(operation.value ?? "")
            }
            guard let stale else { continue }
            var copy = history
            copy.operations[read].value = operations[stale].value
            return copy
        }
        return nil
    }

    /// A copy in which two reads at about `position` (a fraction of the history) see two
    /// writes in opposite orders: the earlier read sees the newer value, the later read the
    /// older one, although the older write returned before the newer one was called. No
    /// order explains it, but unlike a stale read, no single overwrite gives it away: the
    /// newer write is still running when the second read is called, so the checker has to
    /// search every order of what came before to reject it. Nil when the history has no
    /// such pattern.
    public static func inversionCopy(of history: History, at position: Double = 0.5) -> History? {
        let operations = history.operations
        let unique = uniquelyWritten(operations)
        // Operations are in call order (as generated): look near each newer write only.
        let reach = 64
        for newer in start(of: operations, at: position)..<operations.count {
            let wb = operations[newer]
            guard wb.op == .put, wb.status == .ok, let wbReturn = wb.return, unique.contains(wb.value ?? "") else {
                continue
            }
            func isRead(_ index: Int) -> Bool {
                operations[index].op == .get && operations[index].status == .ok && operations[index].key == wb.key
            }
            for older in stride(from: newer - 1, through: max(0, newer - reach), by: -1) {
                let wa = operations[older]
                guard wa.op == .put, wa.status == .ok, wa.key == wb.key, let waReturn = wa.return, waReturn < wb.call,
                    unique.contains(wa.value ?? "")
                else { continue }
                for first in max(0, newer - reach)..<min(operations.count, newer + reach) where isRead(first) {
                    guard let r1Return = operations[first].return, r1Return >= wb.call, r1Return < wbReturn else {
                        continue
                    }
                    for second in first..<min(operations.count, newer + reach) where isRead(second) {
                        let r2 = operations[second]
                        guard r2.call > r1Return, r2.call <= wbReturn else { continue }
                        // No write of the key may fall wholly between the older write and the second read.
                        let between = (older + 1..<second).contains { index in
                            let operation = operations[index]
                            return operation.key == wb.key && operation.status != .fail && operation.op != .get
                                && operation.call > waReturn && (operation.return ?? .max) < r2.call
                        }
                        if between { continue }
                        var copy = history
                        copy.operations[first].value = wb.value
                        copy.operations[second].value = wa.value
                        return copy
                    }
                }
            }
        }
        return nil
    }

    private static func start(of operations: [HistoryOperation], at position: Double) -> Int {
        min(operations.count, max(0, Int(Double(operations.count) * position)))
    }

    /// The values exactly one operation can write: put by one put, never a cas's `to`,
    /// and not the possible result of an append.
    private static func uniquelyWritten(_ operations: [HistoryOperation]) -> Set<String> {
        var puts: [String: Int] = [:]
        var excluded = Set<String>()
        var suffixes = Set<String>()
        for operation in operations {
            switch operation.op {
            case .put: if let value = operation.value { puts[value, default: 0] += 1 }
            case .cas: if let to = operation.to { excluded.insert(to) }
            case .append: suffixes.insert(operation.value ?? "")
            case .get, .delete: break
            }
        }
        var unique = Set<String>()
        for (value, count) in puts where count == 1 && !excluded.contains(value) {
            if !suffixes.contains(where: { value.hasSuffix($0) }) { unique.insert(value) }
        }
        return unique
    }
}
