import ArgumentParser
import Lab
import Raft
import Simulation
import SynodCore

/// `synod scenario`: the catalog of leader-election fault stories, measured.
struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run named fault scenarios and measure how leader election copes.",
        subcommands: [ScenarioList.self, ScenarioRun.self, ScenarioMatrix.self]
    )
}

struct ScenarioList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the scenarios.")

    func run() {
        var output = StandardStream.output
        for scenario in ScenarioCatalog.all {
            print(scenario.name, to: &output)
            print("    " + scenario.story, to: &output)
        }
        print(DuelingProposers.name, to: &output)
        print("    " + DuelingProposers.story, to: &output)
        TimeScenarioRun.list(to: &output)
    }
}

struct ScenarioRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one scenario over many seeds and print its figures.",
        discussion: """
            Prints one figure per line, starting with 'availability: 97.3%' (the mean over the \
            seeds of the share of client requests made during the faults that committed \
            within 1 s). Exit status: 0, or 1 if any seed broke a safety invariant; 2 on bad \
            arguments.
            """
    )

    @Argument(help: "The scenario's name (see 'synod scenario list').")
    var name: String

    @Option(help: "Leader election safeguards: plain, prevote, checkquorum or prevote+checkquorum.")
    var config = RaftConfiguration().elections

    @Option(
        parsing: .unconditional, help: "Seeds 1...N (N at most 1000000). (default: 20)",
        transform: Limit.whole(Limit.seeds))
    var seeds = 20

    @Flag(help: "Draw the first seed's run in the terminal: each server's role and term over time, and its cut links.")
    var timeline = false

    @OptionGroup var time: TimeScenarioOptions

    @OptionGroup var consensus: ScenarioProtocolOptions

    func validate() throws {
        let others = [DuelingProposers.name] + TimeScenarioCatalog.all.map(\.name)
        if ScenarioCatalog.named(name) == nil, !others.contains(name) {
            let known = ScenarioCatalog.all.map(\.name) + others
            throw ValidationError("Unknown scenario '\(name)'; known: \(known.joined(separator: ", ")).")
        }
        if ScenarioCatalog.named(name) == nil,
            timeline || config != RaftConfiguration().elections || consensus.protocol != .raft
        {
            throw ValidationError(
                "--timeline, --config and --protocol are for the leader-election scenarios, not \(name).")
        }
        _ = try time.epsilons()
    }

    func run() throws {
        if name == DuelingProposers.name { return try runDuelingProposers() }
        if let scenario = TimeScenarioCatalog.named(name) {
            return try TimeScenarioRun.run(scenario, seeds: seeds, epsilons: time.epsilons())
        }
        let scenario = ScenarioCatalog.named(name)!
        let runner = ScenarioRunner(elections: config, consensus: consensus.consensus)
        let timeline = self.timeline
        let results = parallelMap(seeds) { index in
            runner.run(scenario, seed: UInt64(index + 1), sampleEvery: timeline && index == 0 ? .milliseconds(20) : nil)
        }
        let summary = ScenarioSummary(scenario: name, elections: config, results: results)
        var output = StandardStream.output
        print("availability: \(percent(summary.meanAvailability))", to: &output)
        print("elections started: \(formatFixed(summary.meanElections, decimals: 1)) per run", to: &output)
        print("highest term: \(formatFixed(summary.meanMaxTerm, decimals: 1))", to: &output)
        print(
            "heal to working leader: "
                + (summary.meanRecoveryMilliseconds.map { "\(formatFixed($0, decimals: 1)) ms" } ?? "never"),
            to: &output)
        print("liveness violations: \(summary.livenessViolations.count)", to: &output)
        print("safety violations: \(summary.safetyViolations.count)", to: &output)
        print("scenario: \(name), config: \(config.rawValue), seeds: 1...\(seeds)\(consensus.flags)", to: &output)
        for failed in summary.safetyViolations {
            print("seed \(failed.seed): \(failed.violation!)", to: &output)
        }
        if timeline, let first = results.first {
            print("", to: &output)
            print("seed 1, \(config.rawValue): \(scenario.name)", to: &output)
            for line in Timeline.render(
                first.samples, servers: (1...Scenario.servers).map { NodeID($0) }, window: runner.window)
            {
                print(line, to: &output)
            }
        }
        if !summary.safetyViolations.isEmpty { throw ExitCode(1) }
    }
}

struct ScenarioMatrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Run every scenario under every configuration and print the figures as Markdown tables."
    )

    @Option(
        parsing: .unconditional, help: "Seeds 1...N per cell (N at most 1000000). (default: 20)",
        transform: Limit.whole(Limit.seeds))
    var seeds = 20

    @OptionGroup var consensus: ScenarioProtocolOptions

    func run() throws {
        let configs = consensus.configurations
        let chosen = consensus.consensus
        let cells = ScenarioCatalog.all.flatMap { scenario in configs.map { (scenario, $0) } }
        let seeds = self.seeds
        let results = parallelMap(cells.count * seeds) { index in
            let (scenario, config) = cells[index / seeds]
            return ScenarioRunner(elections: config, consensus: chosen).run(scenario, seed: UInt64(index % seeds + 1))
        }
        let summaries = cells.indices.map { cell in
            ScenarioSummary(
                scenario: cells[cell].0.name, elections: cells[cell].1,
                results: Array(results[(cell * seeds)..<((cell + 1) * seeds)]))
        }
        func table(_ title: String, _ value: (ScenarioSummary) -> String) -> [String] {
            var lines = ["### \(title)", "", "| scenario | " + configs.map(\.rawValue).joined(separator: " | ") + " |"]
            lines.append("|---|" + configs.map { _ in "---:" }.joined(separator: "|") + "|")
            for (row, scenario) in ScenarioCatalog.all.enumerated() {
                let values = configs.indices.map { value(summaries[row * configs.count + $0]) }
                lines.append("| \(scenario.name) | " + values.joined(separator: " | ") + " |")
            }
            return lines + [""]
        }
        var output = StandardStream.output
        print(
            "Scenario matrix: \(seeds) seeds per cell (`synod scenario matrix --seeds \(seeds)\(consensus.flags)`).",
            to: &output)
        print("", to: &output)
        let tables =
            table("Availability (requests made during the faults that committed within 1 s)") {
                percent($0.meanAvailability)
            }
            + table("Elections started per run") { formatFixed($0.meanElections, decimals: 1) }
            + table("Highest term reached") { formatFixed($0.meanMaxTerm, decimals: 1) }
            + table("Heal to working leader (ms)") {
                $0.meanRecoveryMilliseconds.map { formatFixed($0, decimals: 1) } ?? "never"
            }
            + table("Safety violations") { "\($0.safetyViolations.count)" }
        for line in tables { print(line, to: &output) }
        if summaries.contains(where: { !$0.safetyViolations.isEmpty }) { throw ExitCode(1) }
    }
}

func percent(_ share: Double) -> String { formatFixed(share * 100, decimals: 1) + "%" }
