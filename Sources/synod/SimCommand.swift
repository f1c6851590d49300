import ArgumentParser
import Checker
import Foundation
import Paxos
import Raft
import Replication
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

    @Option(
        help: "The consensus protocol: raft, multipaxos (a replicated log) or paxos (many single-decree instances).")
    var `protocol`: ConsensusProtocol = .raft

    @OptionGroup var quorums: PaxosQuorumOptions

    @Option(
        parsing: .unconditional, help: "Servers in the cluster, 1...64. (default: 5)",
        transform: Limit.whole(1...64, why: " (the checkers keep servers in 64-bit sets)"))
    var nodes = 5

    @Option(
        parsing: .unconditional,
        help: "Run seeds 1...N (N at most 1000000). The default is 100 seeds unless --seed is given.",
        transform: Limit.whole(Limit.seeds))
    var seeds: Int?

    @Option(
        parsing: .unconditional, help: "Run this one seed (to replay a failure, or with --trace).",
        transform: Limit.seed)
    var seed: UInt64?

    @Option(help: "Fault profile.")
    var faults: FaultProfile = .swarm

    @Option(
        parsing: .unconditional, help: "Virtual time per seed, e.g. 10s, 1500ms, 2m; at most 1h. (default: 10s)",
        transform: Limit.span(atMost: Limit.duration))
    var duration: TimeSpan = .seconds(10)

    @Option(help: "Leader election safeguards: plain, prevote, checkquorum or prevote+checkquorum.")
    var config = RaftConfiguration().elections

    @Option(
        help:
            "The clients' workload: 'proposals' (opaque commands at --rate) or 'kv' (key-value clients whose history is checked for linearizability)."
    )
    var workload: WorkloadKind = .proposals

    @Option(help: "With --workload kv, how clients read: log, readindex, lease, follower or follower-readindex.")
    var readMode: ReadMode = .readindex

    @Option(
        help:
            "With --workload kv, write the history (JSON Lines) of --seed S, or with --seeds N that of the first failing seed."
    )
    var history: String?

    @Option(
        parsing: .unconditional,
        help: "Client proposals per virtual second, 0...1000000. (default: \(SimulationOptions().proposalsPerSecond))",
        transform: Limit.whole(0...1_000_000))
    var rate = SimulationOptions().proposalsPerSecond

    @Option(
        parsing: .unconditional,
        help:
            "The largest clock-rate error, in parts per million (0...300000), that leader leases allow for; under swarm, clocks drift up to it. (default: \(SimulationOptions().raft.maxClockDriftPPM))",
        transform: Limit.whole(0...300_000))
    var clockDrift = SimulationOptions().raft.maxClockDriftPPM

    @Flag(help: "Print every event of the seed to standard output (needs --seed).")
    var trace = false

    @Option(
        name: .customLong("bug"),
        help: ArgumentHelp(
            "Run a deliberately broken variant, to see the checker catch it (repeatable). Raft: commit-previous-term, no-sync-before-vote, vote-after-data-loss, lease-ignores-drift (with --workload kv --read-mode lease); paxos: reply-before-persist, ignore-accepted; multipaxos: prepare-before-promise-synced; the replica layer (raft or multipaxos, with --workload kv): batch-reply-before-commit, forward-retry-without-session, read-before-apply.",
            valueName: "bug"
        )
    )
    var bugs: [String] = []

    func validate() throws {
        if seed != nil, seeds != nil {
            throw ValidationError("Give either --seed or --seeds, not both.")
        }
        try quorums.validate(for: `protocol`, nodes: nodes)
        try validateForProtocol()
        if `protocol` == .multipaxos { try validateMultiPaxos() }
        if trace, seed == nil {
            throw ValidationError("--trace needs a single --seed.")
        }
        if workload != .kv, readMode != .readindex {
            throw ValidationError("--read-mode needs --workload kv.")
        }
        if workload != .kv, history != nil {
            throw ValidationError("--history needs --workload kv.")
        }
    }

    var options: SimulationOptions {
        var options = SimulationOptions(nodes: nodes, duration: duration, faults: faults, proposalsPerSecond: rate)
        options.raft.bugs = Set(raftBugs)
        options.replicaBugs = Set(bugs.compactMap(ReplicaBug.init(rawValue:)))
        options.multiPaxos.bugs = Set(bugs.compactMap(MultiPaxosBug.init(rawValue:)))
        options.raft.elections = config
        options.raft.maxClockDriftPPM = clockDrift
        if workload == .kv { options.workload = KVWorkload(readMode: readMode) }
        if `protocol` == .multipaxos {
            options.consensus = .multiPaxos((try? quorums.quorums(nodes: nodes)) ?? PaxosQuorums(nodes: nodes))
        }
        return options
    }

    func run() throws {
        switch `protocol` {
        case .raft: break
        case .paxos: return try runPaxos()
        case .multipaxos: break
        }
        let options = self.options
        let replay = ReplayCommand(options: options)
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

        if let history {
            let chosen = seed ?? reports.first(where: { $0.violation != nil })?.seed
            if let chosen {
                try writeHistory(options: options, seed: chosen, to: history)
                print("history of seed \(chosen) written to \(history)", to: &output)
            } else {
                print("no failing seed: no history written", to: &output)
            }
        }
        if options.workload != nil {
            print(ReadFigures(reports: reports, mode: readMode).lines.joined(separator: "\n"), to: &output)
        }
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

    /// Runs `seed` again (a run is a function of its seed) and writes its history.
    func writeHistory(options: SimulationOptions, seed: UInt64, to path: String) throws {
        var simulation = Simulation(options: options, seed: seed)
        _ = simulation.run()
        let text = simulation.historyOperations.map(\.jsonLine).joined(separator: "\n") + "\n"
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            var standardError = StandardStream.error
            print("error: cannot write history to \(path): \(error)", to: &standardError)
            throw ExitCode(2)
        }
    }
}

/// The options a run needs to be reproduced, and the lines that name them.
struct ReplayCommand: Sendable {
    let options: SimulationOptions

    /// The first line of the output: what is being run.
    func header(seeds: [UInt64]) -> String {
        let which = seeds.count == 1 ? "seed \(seeds[0])" : "seeds \(seeds[0])...\(seeds[seeds.count - 1])"
        var line =
            "synod sim: \(options.nodes) nodes, faults \(options.faults.rawValue), \(options.duration) virtual time per seed, \(which)"
        if case .multiPaxos(let quorums) = options.consensus { line += ", multipaxos (\(quorums))" }
        line += ", elections \(options.raft.elections.rawValue)"
        if let workload = options.workload {
            line +=
                ", kv workload (\(workload.clients) clients, \(workload.keys) keys, reads: \(workload.readMode.rawValue))"
        } else if options.proposalsPerSecond != SimulationOptions().proposalsPerSecond {
            line += ", \(options.proposalsPerSecond) proposals/s"
        }
        let bugs =
            options.raft.bugs.map(\.rawValue) + options.replicaBugs.map(\.rawValue)
            + options.multiPaxos.bugs.map(\.rawValue)
        if !bugs.isEmpty { line += ", bugs: " + bugs.sorted().joined(separator: ", ") }
        return line
    }

    /// The command that reruns `seed` alone.
    func command(seed: UInt64) -> String { options.replayCommand(seed: seed)! }

    /// For a failing run, its violation and replay command (two lines, each ending in
    /// a newline); for a clean run, nothing.
    func failure(_ report: SimulationReport) -> String {
        guard let violation = report.violation else { return "" }
        return "seed \(report.seed): \(violation)\nreplay: \(command(seed: report.seed))\n"
    }
}

/// Read latency (virtual) and, for local reads, staleness, over every seed.
struct ReadFigures {
    let reports: [SimulationReport]
    let mode: ReadMode

    var lines: [String] {
        let latencies = reports.flatMap(\.readLatencies).map(\.milliseconds).sorted()
        let operations = reports.reduce(0) { $0 + $1.operations }
        var lines = ["operations: \(operations), reads answered: \(latencies.count)"]
        if !latencies.isEmpty {
            lines.append(
                "read latency (\(mode.rawValue)): p50 \(formatFixed(percentile(latencies, 0.5), decimals: 3)) ms, "
                    + "p99 \(formatFixed(percentile(latencies, 0.99), decimals: 3)) ms")
        }
        let entries = reports.flatMap(\.staleEntries).map(Double.init).sorted()
        if !entries.isEmpty {
            let times = reports.flatMap(\.staleTimes).map(\.milliseconds).sorted()
            let stale = entries.filter { $0 > 0 }.count
            lines.append(
                "stale reads: \(formatFixed(Double(stale) * 100 / Double(entries.count), decimals: 1))%, "
                    + "behind by p50 \(formatFixed(percentile(entries, 0.5), decimals: 0)) / p99 \(formatFixed(percentile(entries, 0.99), decimals: 0)) / max \(formatFixed(entries.last!, decimals: 0)) entries, "
                    + "p99 \(formatFixed(percentile(times, 0.99), decimals: 1)) ms / max \(formatFixed(times.last!, decimals: 1)) ms"
            )
        }
        return lines
    }

    /// The rows print only when there are samples, so the percentile is always there.
    func percentile(_ sorted: [Double], _ p: Double) -> Double { nearestRank(sorted, p) ?? 0 }
}

/// The closing lines of `synod sim`. The last two lines are a fixed format that
/// scripts and tests read.
struct Summary {
    let reports: [SimulationReport]
    let faults: FaultProfile

    var lines: [String] {
        let failures = reports.compactMap(\.violation)
        var lines = Self.opening(
            faults: faults, seeds: reports.count, virtualTime: reports.reduce(Int64(0)) { $0 + $1.endTime.nanoseconds },
            violations: failures)
        let recoveries = reports.compactMap(\.recoveryTime).map(\.milliseconds).sorted()
        if let worst = recoveries.last {
            let mean = recoveries.reduce(0, +) / Double(recoveries.count)
            let median = recoveries[recoveries.count / 2]
            lines.append(
                "heal to first new commit: median \(formatFixed(median, decimals: 1)) ms, "
                    + "mean \(formatFixed(mean, decimals: 1)) ms, max \(formatFixed(worst, decimals: 1)) ms")
        }
        let damaged = reports.reduce(0) { $0 + $1.damagedRestarts }
        let refused = reports.reduce(0) { $0 + $1.refusedStarts }
        if damaged + refused > 0 {
            lines.append("storage: \(damaged) restarts rejoined catching up, \(refused) starts refused (corruption)")
        }
        let events = reports.reduce(0) { $0 + $1.events }
        let faultCount = reports.reduce(0) { $0 + $1.faults }
        let commits = reports.reduce(0) { $0 + $1.commits }
        let elections = reports.reduce(0) { $0 + $1.elections }
        lines.append("events: \(events), faults: \(faultCount), commits: \(commits), elections: \(elections)")
        lines.append("seeds: \(reports.count), violations: \(failures.count)")
        return lines
    }
    /// The first lines of every protocol's summary: the faults and virtual time, the
    /// violations by kind and by invariant.
    static func opening(faults: FaultProfile, seeds: Int, virtualTime: Int64, violations: [Violation]) -> [String] {
        let safety = violations.filter { $0.kind == .safety }.count
        var lines = [
            "faults \(faults.rawValue): \(seeds) \(seeds == 1 ? "seed" : "seeds"), "
                + "\(formatFixed(Double(virtualTime) / 1e9, decimals: 1))s virtual time in all",
            "safety violations: \(safety), liveness violations: \(violations.count - safety)",
        ]
        var byInvariant: [String: Int] = [:]
        for violation in violations { byInvariant[violation.invariant, default: 0] += 1 }
        if !byInvariant.isEmpty {
            let counts = byInvariant.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append("by invariant: " + counts.joined(separator: ", "))
        }
        return lines
    }
}

/// The `--workload` choices.
enum WorkloadKind: String, ExpressibleByArgument, CaseIterable {
    case proposals, kv
}
