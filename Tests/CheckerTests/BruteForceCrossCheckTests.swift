import Checker
import SynodCore
import Testing

/// The checker against a brute-force oracle on thousands of small random histories,
/// many of them not linearizable. The oracle tries every order (and every subset of
/// `info` operations) with its own register model, so the checker's shortcuts (forced
/// reads, dead configurations, dominance, the stale-read test, `info` pruning) are
/// checked against the definition itself.
@Suite struct BruteForceCrossCheckTests {
    /// True when some order of the operations (all `ok` ones, any subset of `info`
    /// ones, no `fail` one) respects real time and the register's semantics.
    static func bruteForce(_ operations: [HistoryOperation]) -> Bool {
        let kept = operations.filter { $0.status == .ok || ($0.status == .info && $0.op != .get) }
        let byKey = Dictionary(grouping: kept, by: \.key)
        return byKey.keys.sorted().allSatisfy { key in
            let ops = byKey[key]!
            return search(ops, placed: Array(repeating: false, count: ops.count), state: nil)
        }
    }

    private static func search(_ ops: [HistoryOperation], placed: [Bool], state: String?) -> Bool {
        if ops.indices.allSatisfy({ placed[$0] || ops[$0].status == .info }) { return true }
        for index in ops.indices where !placed[index] {
            let candidate = ops[index]
            // Everything that returned before it was called must already be placed.
            let ready = ops.indices.allSatisfy { other in
                placed[other] || other == index || ops[other].status == .info
                    || ops[other].return! >= candidate.call
            }
            guard ready, let next = apply(candidate, to: state) else { continue }
            var nowPlaced = placed
            nowPlaced[index] = true
            if search(ops, placed: nowPlaced, state: next) { return true }
        }
        return false
    }

    /// The register after the operation, or nil if its recorded outcome is impossible.
    static func apply(_ operation: HistoryOperation, to state: String?) -> String?? {
        let known = operation.status == .ok
        switch operation.op {
        case .put: return .some(operation.value)
        case .delete: return .some(nil)
        case .get: return state == operation.value ? .some(state) : nil
        case .append: return .some((state ?? "") + (operation.value ?? ""))
        case .cas:
            let matches = state == operation.from
            if !known { return .some(matches ? operation.to : state) }
            if operation.ok == true { return matches ? .some(operation.to) : nil }
            return matches ? nil : .some(state)
        }
    }

    /// A small random history: few values so that reads often match, and random
    /// outcomes so that many histories are not linearizable.
    static func randomHistory(seed: UInt64, keys: Int, operations: Int, unknownShare: UInt64 = 2) -> [HistoryOperation]
    {
        var random = SeededGenerator(seed: seed)
        let values: [String?] = [nil, "a", "b", "ab", "ba"]
        func pick() -> String? { values[Int(random.next(upperBound: UInt64(values.count)))] }
        var history: [HistoryOperation] = []
        for _ in 0..<operations {
            let call = Int64(random.next(upperBound: UInt64(20)))
            let returned = call + Int64(random.next(upperBound: UInt64(8)))
            let key = "k\(random.next(upperBound: UInt64(keys)))"
            let client = Int(random.next(upperBound: UInt64(4)))
            var operation = HistoryOperation(
                client: client, op: .get, key: key, call: call, return: returned, status: .ok)
            switch random.next(upperBound: UInt64(6)) {
            case 0, 1: operation.value = pick()
            case 2:
                operation.op = .put
                operation.value = pick() ?? "a"
            case 3: operation.op = .delete
            case 4:
                operation.op = .cas
                operation.from = pick()
                operation.to = pick()
                operation.ok = random.chance(0.5)
            default:
                operation.op = .append
                operation.value = random.chance(0.5) ? "a" : "b"
            }
            let roll = random.next(upperBound: UInt64(10))
            switch roll {
            case 0:
                operation.status = .fail
            case 1...unknownShare:
                operation.status = .info
                if random.chance(0.5) { operation.return = nil }
                if operation.op == .cas { operation.ok = nil }
            default:
                break
            }
            history.append(operation)
        }
        return history
    }

    @Test(arguments: 0..<8)
    func oneKeyAgreesWithBruteForce(batch: Int) {
        var verdicts = [0, 0]
        for seed in UInt64(batch * 500)..<UInt64(batch * 500 + 500) {
            let history = Self.randomHistory(seed: seed, keys: 1, operations: 2 + Int(seed % 6))
            let expected = Self.bruteForce(history)
            let report = LinearizabilityChecker.check(history)
            #expect(report.isLinearizable == expected, "seed \(seed)\n\(History(history).jsonLines)")
            verdicts[expected ? 1 : 0] += 1
        }
        // Both verdicts occur, so the comparison means something.
        #expect(verdicts[0] > 50 && verdicts[1] > 50, "\(verdicts)")
    }

    @Test(arguments: 0..<4)
    func twoKeysAgreeWithBruteForce(batch: Int) {
        for seed in UInt64(10_000 + batch * 300)..<UInt64(10_000 + batch * 300 + 300) {
            let history = Self.randomHistory(seed: seed, keys: 2, operations: 4 + Int(seed % 7))
            let expected = Self.bruteForce(history)
            #expect(LinearizabilityChecker.accepts(history) == expected, "seed \(seed)\n\(History(history).jsonLines)")
        }
    }

    @Test(arguments: 0..<4)
    func unknownOutcomesAgreeWithBruteForce(batch: Int) {
        // Half the operations have unknown outcomes: the search's info rules at work.
        var verdicts = [0, 0]
        for seed in UInt64(20_000 + batch * 400)..<UInt64(20_000 + batch * 400 + 400) {
            let history = Self.randomHistory(seed: seed, keys: 1, operations: 3 + Int(seed % 6), unknownShare: 5)
            let expected = Self.bruteForce(history)
            #expect(LinearizabilityChecker.accepts(history) == expected, "seed \(seed)\n\(History(history).jsonLines)")
            verdicts[expected ? 1 : 0] += 1
        }
        #expect(verdicts[0] > 20 && verdicts[1] > 20, "\(verdicts)")
    }

    @Test func longerHistoriesAgreeWithBruteForce() {
        for seed in UInt64(30_000)..<30_150 {
            let history = Self.randomHistory(seed: seed, keys: 1, operations: 9)
            let expected = Self.bruteForce(history)
            #expect(LinearizabilityChecker.accepts(history) == expected, "seed \(seed)\n\(History(history).jsonLines)")
        }
    }

    @Test func violationsNameOperationsOfTheHistory() {
        for seed in UInt64(0)..<300 {
            let history = Self.randomHistory(seed: seed, keys: 1, operations: 6)
            guard let violation = LinearizabilityChecker.check(history).violation else { continue }
            #expect(!violation.operations.isEmpty)
            #expect(violation.operations.allSatisfy { history.contains($0) }, "seed \(seed)")
            #expect(!violation.explanation.isEmpty)
        }
    }
}
