import Raft
import Simulation
import SynodCore
import Testing

/// Whole scenarios over many seeds: random faults in the first 80% of each run, then a
/// heal and the liveness check. Every seed must pass every check; a failing seed is
/// reported with the command that replays it.
@Suite struct SeedSweepTests {
    @Test func sixHundredSwarmSeedsOnFiveServersBreakNoInvariant() async {
        let options = SimulationOptions(faults: .swarm)
        let reports = await sweep(options, seeds: 1...600)
        expectNoViolations(reports, options)
        expectExercised(reports, faults: true)
        // Swarm switches fault kinds on and off per seed: some seeds must get few
        // faults and some many, or the mixes do not really vary.
        let faultCounts = reports.map(\.faults)
        #expect(faultCounts.max()! > 4 * max(1, faultCounts.min()!), "swarm fault counts barely vary")
    }

    @Test(arguments: [FaultProfile.none, .network, .crash])
    func aHundredSeedsOfOneFaultProfileBreakNoInvariant(faults: FaultProfile) async {
        let options = SimulationOptions(faults: faults)
        let reports = await sweep(options, seeds: 1...100)
        expectNoViolations(reports, options)
        expectExercised(reports, faults: faults != .none)
        if faults == .none {
            #expect(reports.allSatisfy { $0.faults == 0 }, "the none profile injected faults")
        }
    }

    @Test(arguments: [3, 7])
    func aHundredSwarmSeedsOnOtherClusterSizesBreakNoInvariant(nodes: Int) async {
        let options = SimulationOptions(nodes: nodes, faults: .swarm)
        let reports = await sweep(options, seeds: 1...100)
        expectNoViolations(reports, options)
        expectExercised(reports, faults: true)
    }

    /// The default is one of four ways to run elections; each of the others must be
    /// just as safe.
    @Test(arguments: ElectionSafeguards.allCases.filter { $0 != RaftConfiguration().elections })
    func aHundredSwarmSeedsUnderEveryOtherElectionSafeguardBreakNoInvariant(safeguards: ElectionSafeguards) async {
        var options = SimulationOptions(faults: .swarm)
        options.raft.elections = safeguards
        let reports = await sweep(options, seeds: 1...100)
        expectNoViolations(reports, options)
        expectExercised(reports, faults: true)
    }

    /// A sweep that commits nothing or injects no fault checks nothing: every seed must
    /// commit commands and elect leaders, and a faulty profile must inject faults.
    private func expectExercised(
        _ reports: [SimulationReport], faults: Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let idle = reports.filter { $0.commits == 0 || $0.elections == 0 }.map(\.seed)
        #expect(idle.isEmpty, "seeds that committed nothing or elected no one: \(idle)", sourceLocation: sourceLocation)
        if faults {
            #expect(
                reports.reduce(0) { $0 + $1.faults } > reports.count, "hardly any faults were injected",
                sourceLocation: sourceLocation)
        }
    }
}
