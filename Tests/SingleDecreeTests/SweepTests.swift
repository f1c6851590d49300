import Paxos
import Simulation
import SynodCore
import Testing

/// Single-decree Paxos under swarm faults: the correct protocol never breaks agreement
/// or validity, and every instance gets a value once the faults heal.
@Suite struct SingleDecreeSweepTests {
    @Test func fiftySwarmSeedsChooseOneValuePerInstance() async {
        let options = SingleDecreeOptions(faults: .swarm)
        let reports = await sweep(options, seeds: 1...50)
        expectClean(reports, options)
        for report in reports where report.violation == nil {
            #expect(
                report.chosen == report.instances && report.instances == options.instances,
                failureMessage(report, options, "\(report.chosen) of \(report.instances) instances chosen"))
        }
    }

    @Test func flexibleQuorumsWithASmallPhase2AreSafeToo() async throws {
        let options = SingleDecreeOptions(faults: .swarm, quorums: try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2))
        let reports = await sweep(options, seeds: 1...30)
        expectClean(reports, options)
        #expect(reports.reduce(0) { $0 + $1.chosen } == 30 * options.instances)
    }

    @Test func crashesAloneAreSafe() async {
        let options = SingleDecreeOptions(faults: .crash)
        expectClean(await sweep(options, seeds: 1...30), options)
    }

    @Test func aRunIsAFunctionOfItsSeed() {
        let options = SingleDecreeOptions(faults: .swarm)
        func trace(_ seed: UInt64) -> [String] {
            var lines: [String] = []
            var simulation = SingleDecreeSimulation(options: options, seed: seed)
            _ = simulation.run(trace: { lines.append($0) })
            return lines
        }
        let first = trace(11)
        #expect(first.count > 1_000)
        #expect(first == trace(11), "seed 11: two runs differ")
        #expect(first != trace(12))
    }
}
