import ArgumentParser
import Raft
import Simulation
import SynodCore

/// `synod sim`: runs seeded simulations of a Raft cluster, checks every event, and
/// prints for each failing seed the one command that replays it.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulated Raft cluster under seeded faults, checking invariants after every event.",
        discussion: """
            Each seed is one run of virtual time; a run is a function of its options and \
            seed, so a failing seed is replayed exactly by the command printed after it. \
            Seeds run in parallel on all cores; results print in seed order.

            The summary's last two lines read 'events: E, faults: F, commits: C, \
            elections: L' and 'seeds: N, violations: V'.

            Exit status: 0 when every seed is clean, 1 when any seed broke a safety or \
            liveness invariant, 2 on bad arguments.
            """
    )

    @Option(help: "Servers in the cluster.")
    var nodes = 5

    @Option(help: "Run seeds 1...N. The default is 100 seeds unless --seed is given.")
    var seeds: Int?

    @Option(help: "Run this one seed (to replay a failure, or with --trace).")
    var seed: UInt64?

    @Option(help: "Fault profile.")
    var faults: FaultProfile = .swarm

    @Option(help: "Virtual time per seed, e.g. 10s, 1500ms, 2m.")
    var duration: TimeSpan = .seconds(10)

    @Option(help: "Leader election safeguards: plain, prevote, checkquorum or prevote+checkquorum.")
    var config = RaftConfiguration().elections

    @Option(help: "Client proposals per virtual second.")
    var rate = SimulationOptions().proposalsPerSecond

    @Flag(help: "Print every event of the seed to standard output (needs --seed).")
    var trace = false

    @Option(
        name: .customLong("bug"),
        help: ArgumentHelp(
            "Run a deliberately broken Raft variant, to see the checker catch it (repeatable).",
            valueName: "bug"
        )
    )
    var bugs: [RaftBug] = []

    func validate() throws {
        if seed != nil, seeds != nil {
            throw ValidationError("Give either --seed or --seeds, not both.")
        }
        if let seeds, seeds < 1 {
            throw ValidationError("--seeds must be at least 1.")
        }
        if nodes < 1 {
            throw ValidationError("--nodes must be at least 1.")
        }
        if duration <= .zero {
            throw ValidationError("--duration must be longer than zero.")
        }
        if rate < 0 || rate > 1_000_000 {
            throw ValidationError("--rate must be between 0 and 1000000 proposals per second.")
        }
        if trace, seed == nil {
            throw ValidationError("--trace needs a single --seed.")
        }
    }

    func run() throws {
        let replay = ReplayCommand(
            nodes: nodes, faults: faults, duration: duration, config: config, rate: rate, bugs: bugs)
        var options = SimulationOptions(nodes: nodes, duration: duration, faults: faults, proposalsPerSecond: rate)
        options.raft.bugs = Set(bugs)
        options.raft.elections = config
        let seedList: [UInt64] = seed.map { [$0] } ?? Array(1...UInt64(seeds ?? 100))

        var output = StandardStream.output
        print(replay.header(seeds: seedList), to: &output)

        let clock = ContinuousClock()
        let start = clock.now
        let reports: [SimulationReport]
        if trace {
            let traceOutput = BufferedOutput()
            var simulation = Simulation(options: options, seed: seedList[0])
            let report = simulation.run(trace: { traceOutput.writeLine($0) })
            traceOutput.flush()
            print(replay.failure(report), terminator: "", to: &output)
            reports = [report]
        } else {
            reports = SeedSweep(options: options, seeds: seedList).run { report in
                var output = StandardStream.output
                print(replay.failure(report), terminator: "", to: &output)
            }
        }
        let elapsed = clock.now - start

        print(Summary(reports: reports, faults: faults).lines.joined(separator: "\n"), to: &output)
        var standardError = StandardStream.error
        if standardError.isTerminal, !trace {
            let seconds = formatFixed(elapsed.seconds, decimals: 1)
            print("(\(seconds)s wall time on \(processorCount()) cores)", to: &standardError)
        }
        if reports.contains(where: { $0.violation != nil }) {
            throw ExitCode(1)
        }
    }
}

/// The options a run needs to be reproduced, and the lines that name them.
struct ReplayCommand: Sendable {
    let nodes: Int
    let faults: FaultProfile
    let duration: TimeSpan
    let config: ElectionSafeguards
    let rate: Int
    /// Sorted and without repeats, so the printed command is stable.
    let bugs: [RaftBug]

    init(
        nodes: Int, faults: FaultProfile, duration: TimeSpan,
        config: ElectionSafeguards = RaftConfiguration().elections,
        rate: Int = 100, bugs: [RaftBug]
    ) {
        self.config = config
        self.rate = rate
        self.nodes = nodes
        self.faults = faults
        self.duration = duration
        self.bugs = Set(bugs).sorted { $0.rawValue < $1.rawValue }
    }

    /// The first line of the output: what is being run.
    func header(seeds: [UInt64]) -> String {
        let which = seeds.count == 1 ? "seed \(seeds[0])" : "seeds \(seeds[0])...\(seeds[seeds.count - 1])"
        var line = "synod sim: \(nodes) nodes, faults \(faults.rawValue), \(duration) virtual time per seed, \(which)"
        line += ", elections \(config.rawValue)"
        if rate != SimulationOptions().proposalsPerSecond { line += ", \(rate) proposals/s" }
        if !bugs.isEmpty {
            line += ", bugs: " + bugs.map(\.rawValue).joined(separator: ", ")
        }
        return line
    }

    /// The command that reruns `seed` alone.
    func command(seed: UInt64) -> String {
        var options = SimulationOptions(
            nodes: nodes, duration: duration, faults: faults, proposalsPerSecond: rate)
        options.raft.elections = config
        options.raft.bugs = Set(bugs)
        return options.replayCommand(seed: seed)!
    }

    /// For a failing run, its violation and replay command (two lines, each ending in
    /// a newline); for a clean run, nothing.
    func failure(_ report: SimulationReport) -> String {
        guard let violation = report.violation else { return "" }
        return "seed \(report.seed): \(violation)\nreplay: \(command(seed: report.seed))\n"
    }
}

/// The closing lines of `synod sim`. The last two lines are a fixed format that
/// scripts and tests read.
struct Summary {
    let reports: [SimulationReport]
    let faults: FaultProfile

    var lines: [String] {
        let failures = reports.compactMap(\.violation)
        let safety = failures.filter { $0.kind == .safety }.count
        let liveness = failures.count - safety
        var byInvariant: [String: Int] = [:]
        for violation in failures { byInvariant[violation.invariant, default: 0] += 1 }
        let virtualTime = reports.reduce(Int64(0)) { $0 + $1.endTime.nanoseconds }

        var lines = [
            "faults \(faults.rawValue): \(reports.count) \(reports.count == 1 ? "seed" : "seeds"), "
                + "\(formatFixed(Double(virtualTime) / 1e9, decimals: 1))s virtual time in all",
            "safety violations: \(safety), liveness violations: \(liveness)",
        ]
        if !byInvariant.isEmpty {
            let counts = byInvariant.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append("by invariant: " + counts.joined(separator: ", "))
        }
        let recoveries = reports.compactMap(\.recoveryTime).map(\.milliseconds).sorted()
        if let worst = recoveries.last {
            let mean = recoveries.reduce(0, +) / Double(recoveries.count)
            let median = recoveries[recoveries.count / 2]
            lines.append(
                "heal to first new commit: median \(formatFixed(median, decimals: 1)) ms, "
                    + "mean \(formatFixed(mean, decimals: 1)) ms, max \(formatFixed(worst, decimals: 1)) ms")
        }
        let events = reports.reduce(0) { $0 + $1.events }
        let faultCount = reports.reduce(0) { $0 + $1.faults }
        let commits = reports.reduce(0) { $0 + $1.commits }
        let elections = reports.reduce(0) { $0 + $1.elections }
        lines.append("events: \(events), faults: \(faultCount), commits: \(commits), elections: \(elections)")
        lines.append("seeds: \(reports.count), violations: \(failures.count)")
        return lines
    }
}
