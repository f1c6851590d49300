import Dispatch
import Simulation
import Synchronization

/// Runs one simulation per seed on every core and hands the reports back in seed
/// order, so that what is printed does not depend on which core finished first.
struct SeedSweep: Sendable {
    let options: SimulationOptions
    let seeds: [UInt64]

    /// Runs every seed. `onReport` is called once per seed, in the order of `seeds`,
    /// never concurrently (it runs under the sweep's lock, on whichever worker
    /// completed the run that made the next report ready).
    ///
    /// - Returns: the reports, in the order of `seeds`.
    func run(onReport: @Sendable (SimulationReport) -> Void) -> [SimulationReport] {
        let state = Mutex(SweepState(count: seeds.count))
        let workers = min(processorCount(), seeds.count)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = state.withLock({ $0.claimNext() }) {
                var simulation = Simulation(options: options, seed: seeds[index])
                let report = simulation.run()
                state.withLock { $0.complete(index, report, onReport: onReport) }
            }
        }
        return state.withLock { state in
            state.progress?.clear()
            return state.results.map { $0! }
        }
    }
}

/// What the workers share: which seed runs next, the finished reports, and how far
/// the in-order reporting has got.
private struct SweepState {
    var results: [SimulationReport?]
    var nextToStart = 0
    var nextToReport = 0
    var done = 0
    var violations = 0
    var progress: ProgressBar?

    init(count: Int) {
        results = Array(repeating: nil, count: count)
        progress = ProgressBar(total: count)
        progress?.draw(done: 0, violations: 0, force: true)
    }

    mutating func claimNext() -> Int? {
        guard nextToStart < results.count else { return nil }
        defer { nextToStart += 1 }
        return nextToStart
    }

    mutating func complete(_ index: Int, _ report: SimulationReport, onReport: (SimulationReport) -> Void) {
        results[index] = report
        done += 1
        if report.violation != nil { violations += 1 }
        var printed = false
        while nextToReport < results.count, let ready = results[nextToReport] {
            if ready.violation != nil, !printed {
                progress?.clear()
                printed = true
            }
            onReport(ready)
            nextToReport += 1
        }
        progress?.draw(done: done, violations: violations, force: printed)
    }
}
