import Lab
import Simulation
import SynodCore

/// One protocol's figures in `synod compare`.
struct ComparisonRow {
    let name: String
    let reports: [SimulationReport]
    /// Leader crash to next commit, per seed (nil: none within the limit).
    let recoveries: [TimeSpan?]
    let scenarios: [ScenarioSummary]

    var messagesPerCommand: Double {
        let commits = reports.reduce(0) { $0 + $1.commits }
        return commits == 0 ? 0 : Double(reports.reduce(0) { $0 + $1.messages }) / Double(commits)
    }

    var latencies: [Double] { reports.flatMap(\.commitLatencies).map(\.milliseconds).sorted() }

    var safetyViolations: Int {
        reports.filter { $0.violation?.kind == .safety }.count
            + scenarios.reduce(0) { $0 + $1.safetyViolations.count }
    }

    var violations: Int {
        reports.filter { $0.violation != nil }.count + scenarios.reduce(0) { $0 + $1.safetyViolations.count }
    }
}

/// The comparison as Markdown tables: protocols in columns.
struct ComparisonTable {
    let rows: [ComparisonRow]
    let faults: FaultProfile
    let seeds: Int

    var lines: [String] {
        var lines = ["| measure | " + rows.map(\.name).joined(separator: " | ") + " |"]
        lines.append("|---|" + rows.map { _ in "---:" }.joined(separator: "|") + "|")
        func row(_ title: String, _ value: (ComparisonRow) -> String) {
            lines.append("| \(title) | " + rows.map(value).joined(separator: " | ") + " |")
        }
        row("messages per committed command (\(faults.rawValue))") { formatFixed($0.messagesPerCommand, decimals: 1) }
        row("commit latency p50 (ms, \(faults.rawValue))") { ms(nearestRank($0.latencies, 0.5)) }
        row("commit latency p99 (ms, \(faults.rawValue))") { ms(nearestRank($0.latencies, 0.99)) }
        row("leader crash to next commit, median (ms)") { ms(median($0.recoveries.compactMap { $0?.milliseconds })) }
        row("leader crash to next commit, max (ms)") {
            let times = $0.recoveries.compactMap { $0?.milliseconds }
            let missing = $0.recoveries.count - times.count
            return ms(times.max()) + (missing > 0 ? " (\(missing) never)" : "")
        }
        row("availability, mean over the liveness scenarios") {
            percent($0.scenarios.map(\.meanAvailability).reduce(0, +) / Double(max(1, $0.scenarios.count)))
        }
        row("runs with a violation") { "\($0.violations)" }
        lines.append("")
        lines.append("Availability per liveness scenario (requests made during the faults that committed within 1 s):")
        lines.append("")
        lines.append("| scenario | " + rows.map(\.name).joined(separator: " | ") + " |")
        lines.append("|---|" + rows.map { _ in "---:" }.joined(separator: "|") + "|")
        for (i, scenario) in (rows.first?.scenarios ?? []).enumerated() {
            lines.append(
                "| \(scenario.scenario) | "
                    + rows.map { percent($0.scenarios[i].meanAvailability) }.joined(separator: " | ")
                    + " |")
        }
        return lines
    }

    func ms(_ value: Double?) -> String { value.map { formatFixed($0, decimals: 2) } ?? "-" }

    func median(_ values: [Double]) -> Double? { nearestRank(values.sorted(), 0.5) }
}
