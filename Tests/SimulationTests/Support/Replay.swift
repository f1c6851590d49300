import Raft
import Simulation
import SynodCore
import Testing

/// The `synod sim` command that reruns `seed` alone (see `SimulationOptions.replayCommand`).
func replayCommand(_ options: SimulationOptions, seed: UInt64) -> String? {
    options.replayCommand(seed: seed)
}

/// The `swift test` command that reruns the current test, for runs the command line
/// cannot replay (stories, which put their faults in by hand, and unusual options).
func testReplayCommand() -> String {
    guard let id = Test.current?.id else { return "swift test -c release --filter SimulationTests" }
    let name = id.moduleName + "." + id.nameComponents.joined(separator: "/")
    // `--filter` takes a regular expression: leave out the parameter list.
    let filter = String(name.prefix { $0 != "(" })
    return "swift test -c release -Xswiftc -enable-testing --filter '\(filter)'"
}

/// What a failing seed says: the seed, what went wrong, and the one command that
/// replays it. A run that the test steered by hand (`scripted`) replays only as a test.
func failureMessage(
    seed: UInt64, options: SimulationOptions, _ what: String, violation: Violation? = nil, scripted: Bool = false
) -> Comment {
    var lines = ["seed \(seed): \(what)"]
    if let violation { lines.append("\(violation)") }
    let command = scripted ? nil : replayCommand(options, seed: seed)
    lines.append("replay: " + (command ?? testReplayCommand()))
    return Comment(rawValue: lines.joined(separator: "\n"))
}

/// Records one issue per failing seed (the first `limit` of them, each with its
/// replay command) and one summary naming every failing seed.
func expectNoViolations(
    _ reports: [SimulationReport], _ options: SimulationOptions, limit: Int = 10,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let failures = reports.filter { $0.violation != nil }
    for report in failures.prefix(limit) {
        Issue.record(
            failureMessage(seed: report.seed, options: options, "violation", violation: report.violation),
            sourceLocation: sourceLocation)
    }
    let failingSeeds = failures.map(\.seed)
    #expect(
        failingSeeds.isEmpty, "\(failingSeeds.count) of \(reports.count) seeds failed",
        sourceLocation: sourceLocation)
}
