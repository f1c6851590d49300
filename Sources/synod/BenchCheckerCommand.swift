import ArgumentParser
import Checker

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `synod bench checker`: how long the linearizability checker takes on generated
/// histories, and how much memory, on one core.
struct BenchCheckerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checker",
        abstract: "Time the linearizability checker on generated histories.",
        discussion: """
            Generates two histories from the seed, each linearizable by construction (1% info, \
            1% fail operations): 100,000 operations over 100 keys with 10 clients, and 20,000 \
            operations on one key with 20 clients. Checks each, then two copies the checker must \
            reject: one with a stale read (caught before any search) and one with two reads that \
            see two writes in opposite orders (caught by search, whose cost grows with the \
            operations before it: see --plant-at). Reports wall time, the process's peak resident \
            memory (getrusage) after each check, and the configurations the search visited. Build \
            in release mode: swift run -c release synod bench checker
            """
    )

    enum Workload: String, CaseIterable, ExpressibleByArgument {
        case all
        case manyKeys = "many-keys"
        case oneKey = "one-key"
    }

    @Option(parsing: .unconditional, help: "The seed of the generated histories. (default: 1)", transform: Limit.seed)
    var seed: UInt64 = 1

    @Option(help: "Which history to check: all, many-keys or one-key (one per run measures memory apart).")
    var workload: Workload = .all

    @Option(
        parsing: .unconditional,
        help: "Check one custom history of this many operations (1...10000000) instead (with --keys and --clients).",
        transform: Limit.whole(1...10_000_000))
    var operations: Int?

    @Option(
        parsing: .unconditional, help: "Keys of the custom history, 1...1000000. (default: 1)",
        transform: Limit.whole(1...1_000_000)
    )
    var keys = 1

    @Option(
        parsing: .unconditional, help: "Clients of the custom history, 1...10000. (default: 10)",
        transform: Limit.whole(1...10_000))
    var clients = 10

    @Option(
        parsing: .unconditional, help: "Fraction of operations with an unknown outcome (info), 0...1. (default: 0.01)",
        transform: Limit.number(0...1))
    var infoRate = 0.01

    @Option(
        parsing: .unconditional, help: "Fraction of operations that certainly failed (fail), 0...1. (default: 0.01)",
        transform: Limit.number(0...1))
    var failRate = 0.01

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Where to plant the anomalies, as a fraction of the history (0...1). (default: 0.1)",
            discussion: "A violation found by search costs a search of every order of what came before it."),
        transform: Limit.number(0...1))
    var plantAt = 0.1

    func run() throws {
        var output = StandardStream.output
        print(
            "synod bench checker: seed \(seed), one core, anomalies planted at \(Int(plantAt * 100))% of each history",
            to: &output)
        #if DEBUG
            print(
                "warning: this is a debug build and its figures mean little; "
                    + "run: swift run -c release synod bench checker",
                to: &output
            )
        #endif
        var cases: [HistoryGenerator.Options] = []
        if let operations {
            cases.append(HistoryGenerator.Options(operations: operations, keys: keys, clients: clients))
        } else {
            if workload != .oneKey {
                cases.append(HistoryGenerator.Options(operations: 100_000, keys: 100, clients: 10))
            }
            if workload != .manyKeys {
                cases.append(HistoryGenerator.Options(operations: 20_000, keys: 1, clients: 20))
            }
        }
        for index in cases.indices {
            cases[index].infoRate = infoRate
            cases[index].failRate = failRate
        }
        print(
            "history".rightPadded(to: 15) + "operations".leftPadded(to: 11) + "keys".leftPadded(to: 6)
                + "clients".leftPadded(to: 9) + "wall".leftPadded(to: 10) + "peak RSS".leftPadded(to: 11)
                + "configurations".leftPadded(to: 16) + "  verdict",
            to: &output)
        var wrong = 0
        for options in cases {
            let history = HistoryGenerator.history(options, seed: seed)
            let (report, wall) = Self.measure(history)
            let verdict = report.isLinearizable ? "linearizable" : "NOT linearizable (wrong: it is by construction)"
            if !report.isLinearizable { wrong += 1 }
            print(
                "generated".rightPadded(to: 15) + formatGrouped(options.operations).leftPadded(to: 11)
                    + String(options.keys).leftPadded(to: 6) + String(options.clients).leftPadded(to: 9)
                    + (formatFixed(wall, decimals: 3) + "s").leftPadded(to: 10) + Self.peakMemory().leftPadded(to: 11)
                    + formatGrouped(report.configurations).leftPadded(to: 16) + "  " + verdict,
                to: &output)
            if let violation = report.violation { print("  \(violation)", to: &output) }

            let mutations = [
                ("stale read", HistoryGenerator.staleReadCopy(of: history, at: plantAt)),
                ("inversion", HistoryGenerator.inversionCopy(of: history, at: plantAt)),
            ]
            for (name, mutated) in mutations {
                guard let mutated else {
                    print("  (no \(name) could be planted in this history)", to: &output)
                    continue
                }
                let (mutatedReport, mutatedWall) = Self.measure(mutated)
                let mutatedVerdict =
                    mutatedReport.violation.map { "rejected (key \($0.key.debugDescription))" }
                    ?? "ACCEPTED (wrong: it holds a \(name))"
                if mutatedReport.isLinearizable { wrong += 1 }
                print(
                    name.rightPadded(to: 15) + formatGrouped(options.operations).leftPadded(to: 11)
                        + String(options.keys).leftPadded(to: 6) + String(options.clients).leftPadded(to: 9)
                        + (formatFixed(mutatedWall, decimals: 3) + "s").leftPadded(to: 10)
                        + Self.peakMemory().leftPadded(to: 11)
                        + formatGrouped(mutatedReport.configurations).leftPadded(to: 16) + "  " + mutatedVerdict,
                    to: &output)
            }
        }
        if wrong > 0 {
            print("\(wrong) verdicts were wrong: the checker has a bug", to: &output)
            throw ExitCode(1)
        }
    }

    /// Checks a history and times it on the monotonic clock.
    static func measure(_ history: History) -> (LinearizabilityReport, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let report = LinearizabilityChecker.check(history)
        return (report, (clock.now - start).seconds)
    }

    /// The process's peak resident set size so far, in megabytes.
    static func peakMemory() -> String {
        var usage = rusage()
        #if canImport(Glibc)
            let who = __rusage_who_t(RUSAGE_SELF.rawValue)
        #else
            let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return "?" }
        #if canImport(Darwin)
            let bytes = Double(usage.ru_maxrss)  // bytes on Darwin
        #else
            let bytes = Double(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #endif
        return formatFixed(bytes / 1_048_576, decimals: 1) + " MB"
    }
}
