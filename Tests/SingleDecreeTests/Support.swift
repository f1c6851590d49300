import Paxos
import Simulation
import SynodCore
import Testing

/// Runs one single-decree simulation per seed, as many at once as the cooperative pool
/// has threads, and returns the reports in seed order.
func sweep(_ options: SingleDecreeOptions, seeds: some Sequence<UInt64>) async -> [SingleDecreeReport] {
    await withTaskGroup(of: SingleDecreeReport.self) { group in
        for seed in seeds {
            group.addTask {
                var simulation = SingleDecreeSimulation(options: options, seed: seed)
                return simulation.run()
            }
        }
        var reports: [SingleDecreeReport] = []
        for await report in group { reports.append(report) }
        return reports.sorted { $0.seed < $1.seed }
    }
}

/// What a failing seed says: the seed, what went wrong, and the command that replays it.
func failureMessage(_ report: SingleDecreeReport, _ options: SingleDecreeOptions, _ what: String) -> Comment {
    var lines = ["seed \(report.seed): \(what)"]
    if let violation = report.violation { lines.append("\(violation)") }
    lines.append("replay: " + (options.replayCommand(seed: report.seed) ?? "swift test --filter SingleDecreeTests"))
    return Comment(rawValue: lines.joined(separator: "\n"))
}

/// Records one issue per failing seed, each with its replay command.
func expectClean(
    _ reports: [SingleDecreeReport], _ options: SingleDecreeOptions, sourceLocation: SourceLocation = #_sourceLocation
) {
    for report in reports where report.violation != nil {
        Issue.record(failureMessage(report, options, "violation"), sourceLocation: sourceLocation)
    }
}

/// Seeds of `synod sim --protocol paxos --faults swarm --seeds 1000` on which the broken
/// variants fail (found by that sweep; each replays exactly): the first seed where each
/// lets two values be chosen, and one where reply-before-persist only forgets a promise.
enum SingleDecreeBugSeeds {
    static let ignoreAccepted: UInt64 = 1
    static let replyBeforePersist: UInt64 = 246
    static let forgottenReply: UInt64 = 1
}
