import Simulation
import SynodCore

/// Runs one whole scenario per seed, as many at once as the cooperative pool has
/// threads, and returns the reports in seed order.
func sweep(_ options: SimulationOptions, seeds: some Sequence<UInt64>) async -> [SimulationReport] {
    await withTaskGroup(of: SimulationReport.self) { group in
        for seed in seeds {
            group.addTask {
                var simulation = Simulation(options: options, seed: seed)
                return simulation.run()
            }
        }
        var reports: [SimulationReport] = []
        for await report in group { reports.append(report) }
        return reports.sorted { $0.seed < $1.seed }
    }
}

/// Runs seeds in order, a batch at a time, until one breaks a safety invariant.
///
/// - Returns: the report of the lowest such seed, or nil if none in `seeds` does.
func firstSafetyViolation(
    _ options: SimulationOptions, seeds: ClosedRange<UInt64>, batch: UInt64 = 64
) async -> SimulationReport? {
    var start = seeds.lowerBound
    while start <= seeds.upperBound {
        let end = min(seeds.upperBound, start + batch - 1)
        let reports = await sweep(options, seeds: start...end)
        if let first = reports.first(where: { $0.violation?.kind == .safety }) { return first }
        start = end + 1
    }
    return nil
}

/// The options of the Figure 8 hunt: swarm faults, defaults otherwise, and a leader
/// that commits entries of earlier terms by counting replicas.
let commitPreviousTermOptions: SimulationOptions = {
    var options = SimulationOptions(faults: .swarm)
    options.raft.bugs = [.commitPreviousTerm]
    return options
}()

/// Seeds scanned for the Figure 8 violation.
let commitPreviousTermSeeds: ClosedRange<UInt64> = 1...1_500

/// The first swarm seed on which `.commitPreviousTerm` breaks safety. Found once, on
/// first use, and shared by the checker tests and the command-line tests.
let commitPreviousTermFailure = Task {
    await firstSafetyViolation(commitPreviousTermOptions, seeds: commitPreviousTermSeeds)
}
