import ArgumentParser
import Raft
import Simulation
import SynodCore

/// `synod bench sim`: how fast the simulator runs a 5-node cluster under a steady load,
/// without faults and under swarm faults, on one core.
struct BenchSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulated events per wall-clock second, and simulated time per wall time.",
        discussion: """
            Runs a 5-node cluster (10 ms heartbeat) on one core with two workloads: \
            'proposals' (100 opaque proposals per virtual second, straight to the consensus \
            core) and 'kv' (5 key-value clients through the replica core, as synod serve \
            runs it: Request Batch, forwarding, read waiting, a history checked for \
            linearizability at the end, which the wall time includes). Each runs with \
            --faults none and with swarm, --repeat times on the same seed; every run and \
            the best one are reported. An event is one delivery, wake-up, sync, client \
            step or fault. Build in release mode for meaningful figures: \
            swift run -c release synod bench sim
            """
    )

    @Option(
        parsing: .unconditional, help: "Virtual seconds per run, 1...3600. (default: 60)",
        transform: Limit.whole(1...3_600))
    var secondsVirtual = 60

    @Option(
        name: .customLong("repeat"), parsing: .unconditional,
        help: "Runs per fault profile, 1...1000; the best run is reported. (default: 3)",
        transform: Limit.whole(1...1_000))
    var repeatCount = 3

    @Option(parsing: .unconditional, help: "The seed of every run. (default: 1)", transform: Limit.seed)
    var seed: UInt64 = 1

    func run() throws {
        let base = SimulationOptions(nodes: 5, duration: .seconds(Int64(secondsVirtual)), proposalsPerSecond: 100)
        var output = StandardStream.output
        print(
            "synod bench sim: \(base.nodes) nodes, heartbeat \(base.raft.heartbeatInterval), "
                + "proposals: \(base.proposalsPerSecond) per virtual second; kv: \(KVWorkload().clients) clients; "
                + "\(secondsVirtual)s virtual per run, seed \(seed), \(repeatCount) runs per profile, one core",
            to: &output
        )
        #if DEBUG
            print(
                "warning: this is a debug build and its figures mean little; "
                    + "run: swift run -c release synod bench sim",
                to: &output
            )
        #endif
        print(BenchRow.header, to: &output)
        var violations = 0
        for workload in [nil, KVWorkload()] {
            for profile in [FaultProfile.none, .swarm] {
                var options = base
                options.faults = profile
                options.workload = workload
                violations += measure(options, into: &output)
            }
        }
        if violations > 0 {
            print("\(violations) benchmark runs found a violation; run synod sim to investigate", to: &output)
            throw ExitCode(1)
        }
    }

    /// Runs `options` `repeatCount` times and prints every run and the best; returns
    /// how many runs found a violation.
    private func measure(_ options: SimulationOptions, into output: inout StandardStream) -> Int {
        var violations = 0
        var rows: [BenchRow] = []
        for run in 1...repeatCount {
            let row = BenchRow.measure(options: options, seed: seed, label: "\(run)/\(repeatCount)")
            print(row.line, to: &output)
            if let violation = row.report.violation {
                print("  \(violation)", to: &output)
                violations += 1
            }
            rows.append(row)
        }
        let best = rows.min { $0.wallSeconds < $1.wallSeconds }!
        print(
            BenchRow(label: "best", report: best.report, options: options, wallSeconds: best.wallSeconds).line,
            to: &output)
        return violations
    }
}

/// One measured run and its line in the table.
struct BenchRow {
    let label: String
    let report: SimulationReport
    let options: SimulationOptions
    let wallSeconds: Double

    /// Runs one simulation and times it on the monotonic clock.
    static func measure(options: SimulationOptions, seed: UInt64, label: String) -> BenchRow {
        let clock = ContinuousClock()
        let start = clock.now
        var simulation = Simulation(options: options, seed: seed)
        let report = simulation.run()
        let wall = (clock.now - start).seconds
        return BenchRow(label: label, report: report, options: options, wallSeconds: wall)
    }

    static let header =
        "workload".rightPadded(to: 10) + "faults".rightPadded(to: 8) + "run".rightPadded(to: 6)
        + "events".leftPadded(to: 13)
        + "faults".leftPadded(to: 8) + "commits".leftPadded(to: 9) + "wall".leftPadded(to: 10)
        + "events/s".leftPadded(to: 13) + "sim/wall".leftPadded(to: 11)

    var line: String {
        let simulatedSeconds = Double(report.endTime.nanoseconds) / 1e9
        let wall = max(wallSeconds, 1e-9)
        let eventsPerSecond = Int((Double(report.events) / wall).rounded())
        let workload = options.workload == nil ? "proposals" : "kv"
        return workload.rightPadded(to: 10) + options.faults.rawValue.rightPadded(to: 8) + label.rightPadded(to: 6)
            + formatGrouped(report.events).leftPadded(to: 13) + String(report.faults).leftPadded(to: 8)
            + String(report.commits).leftPadded(to: 9)
            + (formatFixed(wallSeconds, decimals: 3) + "s").leftPadded(to: 10)
            + formatGrouped(eventsPerSecond).leftPadded(to: 13)
            + (formatFixed(simulatedSeconds / wall, decimals: 1) + "x").leftPadded(to: 11)
    }
}
