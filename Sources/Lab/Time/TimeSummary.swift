import SynodCore

/// A variant's runs over every seed and ε asked for, and what they add up to.
///
/// A variant *got* `violation` when at least one run (any seed, any ε) found one, and
/// `clean` when none did: a clean expectation must hold on every run, and a violation
/// expectation needs one run that shows it.
public struct TimeVariantSummary: Sendable {
    public let variant: TimeVariant
    public let results: [TimeRunResult]

    public init(variant: TimeVariant, results: [TimeRunResult]) {
        self.variant = variant
        self.results = results
    }

    public var outcome: TimeOutcome { results.contains { $0.violation != nil } ? .violation : .clean }
    public var asExpected: Bool { outcome == variant.expected }

    /// `variant commit-wait/no-wait: expected violation, got violation`.
    public var line: String {
        "variant \(variant.name): expected \(variant.expected.rawValue), got \(outcome.rawValue)"
    }

    /// The first violating run, in seed order within the first ε that has one.
    public var firstViolation: TimeRunResult? { results.first { $0.violation != nil } }

    public func results(at epsilon: TimeSpan) -> [TimeRunResult] { results.filter { $0.epsilon == epsilon } }
}

/// Latency and restart figures of a set of runs (one variant at one ε).
public struct TimeFigures: Sendable {
    public let commitLatencies: [TimeSpan]
    public let readLatencies: [TimeSpan]
    public let restarts: Int
    public let reads: Int
    public let violatingSeeds: Int
    public let seeds: Int

    public init(_ results: [TimeRunResult]) {
        commitLatencies = results.flatMap(\.commitLatencies).sorted()
        readLatencies = results.flatMap(\.readLatencies).sorted()
        restarts = results.reduce(0) { $0 + $1.restarts }
        reads = readLatencies.count
        violatingSeeds = results.filter { $0.violation != nil }.count
        seeds = results.count
    }

    /// The `fraction` quantile (nearest rank) of sorted spans; nil when there are none.
    public static func quantile(_ fraction: Double, of sorted: [TimeSpan]) -> TimeSpan? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    public var commitP50: TimeSpan? { Self.quantile(0.5, of: commitLatencies) }
    public var commitP99: TimeSpan? { Self.quantile(0.99, of: commitLatencies) }
    public var readP50: TimeSpan? { Self.quantile(0.5, of: readLatencies) }
    public var readP99: TimeSpan? { Self.quantile(0.99, of: readLatencies) }
}
