import ArgumentParser
import Lab
import SynodCore

/// The options `synod scenario run` takes for the time scenarios (lww-clock-skew,
/// commit-wait, uncertainty-restart).
struct TimeScenarioOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            """
            For the time scenarios (lww-clock-skew, commit-wait, uncertainty-restart): the clock bound ε, \
            0...100ms, or several separated by commas (1ms,7ms,20ms); 7ms by default. They print one line per variant, \
            'variant NAME: expected clean|violation, got clean|violation', and exit 1 unless every variant got \
            its expected outcome.
            """,
            valueName: "spans"))
    var epsilon: String?

    /// The ε values asked for, or the default.
    func epsilons() throws -> [TimeSpan] {
        guard let epsilon else { return [TimeScenarioCatalog.defaultEpsilon] }
        let parts = epsilon.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return try parts.map { part in
            guard let span = TimeSpan(parsing: part) else {
                throw ValidationError("--epsilon takes spans 0...100ms such as 1ms,7ms,20ms; '\(part)' is not one.")
            }
            if span > .milliseconds(100) {
                throw ValidationError("--epsilon takes spans 0...100ms (the most this lab models); \(part) is above.")
            }
            return span
        }
    }
}

/// Runs a time scenario's variants over the seeds and every ε, prints one line per
/// variant (`variant commit-wait/no-wait: expected violation, got violation`) and, for
/// the transaction scenarios, the latency table; exits 1 unless every variant got the
/// outcome its story predicts.
enum TimeScenarioRun {
    static func run(_ scenario: TimeScenario, seeds: Int, epsilons: [TimeSpan]) throws {
        // Commit wait is measured against its alternative, and the other way round.
        let variants = scenario.variants + scenario.companions
        let epsilons = scenario.usesEpsilon ? epsilons : [TimeScenarioCatalog.defaultEpsilon]
        let jobs = variants.flatMap { variant in
            epsilons.flatMap { epsilon in (1...seeds).map { (variant, epsilon, UInt64($0)) } }
        }
        let results = parallelMap(jobs.count) { index in
            let (variant, epsilon, seed) = jobs[index]
            return variant.run(seed: seed, epsilon: epsilon)
        }
        let perVariant = jobs.count / variants.count
        let summaries = variants.indices.map { index in
            TimeVariantSummary(
                variant: variants[index], results: Array(results[(index * perVariant)..<((index + 1) * perVariant)]))
        }
        var output = StandardStream.output
        let own = summaries.prefix(scenario.variants.count)
        let epsilonList = epsilons.map(\.description).joined(separator: ",")
        let replay =
            "swift run -c release synod scenario run \(scenario.name) --seeds \(seeds)"
            + (scenario.usesEpsilon ? " --epsilon \(epsilonList)" : "")
        for summary in own {
            print(summary.line, to: &output)
            if let failed = summary.firstViolation {
                let epsilon = scenario.usesEpsilon ? ", ε=\(failed.epsilon)" : ""
                print("    seed \(failed.seed)\(epsilon): \(failed.violation!)", to: &output)
            }
            if !summary.asExpected { print("    replay: \(replay)", to: &output) }
        }
        print(
            "scenario: \(scenario.name), seeds: 1...\(seeds)"
                + (scenario.usesEpsilon ? ", ε: \(epsilonList)" : ", skew up to 50ms"),
            to: &output)
        if !scenario.companions.isEmpty {
            print("", to: &output)
            for line in table(summaries, epsilons: epsilons) { print(line, to: &output) }
        }
        if own.contains(where: { !$0.asExpected }) { throw ExitCode(1) }
    }

    /// `synod scenario list`'s entries for the time scenarios.
    static func list(to output: inout StandardStream) {
        for scenario in TimeScenarioCatalog.all {
            print(scenario.name, to: &output)
            print("    " + scenario.story, to: &output)
            for variant in scenario.variants {
                print("    \(variant.name) (expected \(variant.expected.rawValue)): \(variant.summary)", to: &output)
            }
        }
    }

    /// Per ε: commit latency p50/p99 of each variant (virtual time) and the restarts of the
    /// uncertainty-restart variants.
    static func table(_ summaries: [TimeVariantSummary], epsilons: [TimeSpan]) -> [String] {
        var lines = [
            "| ε | variant | commit p50 | commit p99 | read p50 | read p99 | restarts | violating seeds |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        func ms(_ span: TimeSpan?) -> String { span.map { formatFixed($0.milliseconds, decimals: 2) + " ms" } ?? "-" }
        for epsilon in epsilons {
            for summary in summaries {
                let figures = TimeFigures(summary.results(at: epsilon))
                let restarts =
                    summary.variant.name.hasPrefix("uncertainty-restart")
                    ? "\(figures.restarts) (\(percent(Double(figures.restarts) / Double(max(figures.reads, 1)))) of reads)"
                    : "-"
                lines.append(
                    "| \(epsilon) | \(summary.variant.name) | \(ms(figures.commitP50)) | \(ms(figures.commitP99)) | "
                        + "\(ms(figures.readP50)) | \(ms(figures.readP99)) | \(restarts) | "
                        + "\(figures.violatingSeeds)/\(figures.seeds) |")
            }
        }
        return lines
    }
}
