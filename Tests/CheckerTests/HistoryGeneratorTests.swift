import Checker
import Testing

/// Generated histories are linearizable by construction, deterministic per seed, and
/// their planted anomalies are rejected.
@Suite struct HistoryGeneratorTests {
    @Test(arguments: [(2_000, 20, 10), (2_000, 1, 20), (500, 1, 5)])
    func generatedHistoriesAreLinearizable(operations: Int, keys: Int, clients: Int) {
        for seed in UInt64(1)...3 {
            let options = HistoryGenerator.Options(operations: operations, keys: keys, clients: clients)
            let history = HistoryGenerator.history(options, seed: seed)
            #expect(history.operations.count == operations)
            let report = LinearizabilityChecker.check(history)
            #expect(report.isLinearizable, "seed \(seed): \(report.violation?.description ?? "")")
        }
    }

    @Test func manyUnknownOutcomesStayLinearizable() {
        let options = HistoryGenerator.Options(operations: 1_000, keys: 2, clients: 8, infoRate: 0.1, failRate: 0.1)
        for seed in UInt64(1)...3 {
            #expect(LinearizabilityChecker.check(HistoryGenerator.history(options, seed: seed)).isLinearizable)
        }
    }

    @Test func aSeedDeterminesTheHistory() {
        let options = HistoryGenerator.Options(operations: 300, keys: 3, clients: 5)
        #expect(HistoryGenerator.history(options, seed: 9) == HistoryGenerator.history(options, seed: 9))
        #expect(HistoryGenerator.history(options, seed: 9) != HistoryGenerator.history(options, seed: 10))
    }

    @Test(arguments: [(4_000, 4, 10), (2_000, 1, 20)])
    func plantedAnomaliesAreRejected(operations: Int, keys: Int, clients: Int) {
        let options = HistoryGenerator.Options(operations: operations, keys: keys, clients: clients)
        let history = HistoryGenerator.history(options, seed: 1)
        guard let stale = HistoryGenerator.staleReadCopy(of: history),
            let inverted = HistoryGenerator.inversionCopy(of: history)
        else {
            Issue.record("no anomaly could be planted")
            return
        }
        #expect(stale != history && inverted != history)
        #expect(!LinearizabilityChecker.check(stale).isLinearizable)
        #expect(!LinearizabilityChecker.check(inverted).isLinearizable)
    }
}
