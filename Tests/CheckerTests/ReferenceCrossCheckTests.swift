import Checker
import SynodCore
import Testing

/// The checker against a plain reference on medium histories (tens of operations): a
/// memoized search over (linearized set, value) that tries every enabled operation,
/// `info` ones included, with none of the checker's reductions. The histories are
/// generated linearizable and then, most of the time, one outcome is altered, so the
/// verdicts split and the hard cases (near misses) are common.
@Suite struct ReferenceCrossCheckTests {
    struct Configuration: Hashable {
        var placed: [UInt64]
        var state: String?
    }

    /// True when the operations of one key have a linearization.
    static func reference(_ all: [HistoryOperation]) -> Bool {
        let operations = all.filter { $0.status == .ok || ($0.status == .info && $0.op != .get) }
        var seen = Set<Configuration>()
        func search(_ configuration: Configuration) -> Bool {
            if operations.indices.allSatisfy({ isPlaced($0, configuration) || operations[$0].status == .info }) {
                return true
            }
            guard seen.insert(configuration).inserted else { return false }
            for index in operations.indices where !isPlaced(index, configuration) {
                let candidate = operations[index]
                let ready = operations.indices.allSatisfy { other in
                    isPlaced(other, configuration) || other == index || operations[other].status == .info
                        || operations[other].return! >= candidate.call
                }
                guard ready, let state = BruteForceCrossCheckTests.apply(candidate, to: configuration.state) else {
                    continue
                }
                var next = configuration
                next.placed[index >> 6] |= 1 << UInt64(index & 63)
                next.state = state
                if search(next) { return true }
            }
            return false
        }
        func isPlaced(_ index: Int, _ configuration: Configuration) -> Bool {
            configuration.placed[index >> 6] & (1 << UInt64(index & 63)) != 0
        }
        return search(Configuration(placed: Array(repeating: 0, count: (operations.count + 63) / 64), state: nil))
    }

    /// A generated history with, usually, one outcome altered.
    static func nearMiss(seed: UInt64, operations: Int, clients: Int, infoRate: Double) -> [HistoryOperation] {
        let options = HistoryGenerator.Options(
            operations: operations, keys: 1, clients: clients, infoRate: infoRate, failRate: 0.05,
            maximumLatency: 100, maximumThinkTime: 40)
        var history = HistoryGenerator.history(options, seed: seed).operations
        var random = SeededGenerator(seed: seed, stream: 77)
        guard random.chance(0.8) else { return history }
        let written = history.compactMap { $0.op == .put ? $0.value : nil } + [nil]
        let index = Int(random.next(upperBound: UInt64(history.count)))
        switch history[index].op {
        case .get: history[index].value = written[Int(random.next(upperBound: UInt64(written.count)))]
        case .cas: history[index].ok = history[index].ok.map { !$0 }
        case .put, .append: history[index].value = (history[index].value ?? "") + "?"
        case .delete: history[index].op = .get
        }
        return history
    }

    @Test(arguments: [(24, 4, 0.0), (24, 6, 0.2), (32, 5, 0.1), (40, 8, 0.3)])
    func agreesWithTheReference(operations: Int, clients: Int, infoRate: Double) {
        var verdicts = [0, 0]
        for seed in UInt64(1)...150 {
            let history = Self.nearMiss(seed: seed, operations: operations, clients: clients, infoRate: infoRate)
            let expected = Self.reference(history)
            #expect(
                LinearizabilityChecker.accepts(history) == expected,
                "seed \(seed)\n\(History(history).jsonLines)")
            verdicts[expected ? 1 : 0] += 1
        }
        #expect(verdicts[0] > 10 && verdicts[1] > 10, "\(verdicts)")
    }
}
