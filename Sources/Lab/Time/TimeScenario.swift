import SynodCore

/// What a checker said of a run: `clean`, or `violation`.
public enum TimeOutcome: String, Sendable, Hashable {
    case clean
    case violation
}

/// One variant of a time scenario: a clock or protocol choice, the outcome its story
/// predicts, and the run. `commit-wait/no-wait` is expected to violate external
/// consistency; if it does not, the demonstration failed.
public struct TimeVariant: Sendable {
    /// `scenario/variant`, as printed: `commit-wait/skew-within-bound`.
    public let name: String
    public let expected: TimeOutcome
    /// What the variant changes, in a line.
    public let summary: String
    let body: @Sendable (_ seed: UInt64, _ epsilon: TimeSpan) -> TimeRunResult

    /// One seeded run with clock bound `epsilon`: a function of (variant, seed, ε).
    public func run(seed: UInt64, epsilon: TimeSpan) -> TimeRunResult { body(seed, epsilon) }
}

/// What one seeded run of a variant measured, and the first violation its checker found.
public struct TimeRunResult: Sendable {
    public var seed: UInt64
    public var epsilon: TimeSpan
    public var violation: String?
    /// Client-observed latency of each read-write transaction (virtual time).
    public var commitLatencies: [TimeSpan] = []
    /// Client-observed latency of each read-only transaction.
    public var readLatencies: [TimeSpan] = []
    /// Reads restarted because they met a value inside the uncertainty window.
    public var restarts = 0
    /// Transactions or writes that finished.
    public var finished = 0
    /// Messages refused because their hybrid timestamp was beyond the maximum offset.
    public var refused = 0

    public init(seed: UInt64, epsilon: TimeSpan) {
        self.seed = seed
        self.epsilon = epsilon
    }

    public var outcome: TimeOutcome { violation == nil ? .clean : .violation }
}

/// A named time story and its variants.
public struct TimeScenario: Sendable {
    public let name: String
    public let story: String
    public let variants: [TimeVariant]
    /// Whether the clock bound ε shapes the runs (the register's skew is fixed at 50 ms).
    public let usesEpsilon: Bool
    /// The scenario whose clean variants run alongside, for the latency table; nil: no table.
    public let comparedWith: String?

    init(name: String, story: String, variants: [TimeVariant], usesEpsilon: Bool = true, comparedWith: String? = nil) {
        self.name = name
        self.story = story
        self.variants = variants
        self.usesEpsilon = usesEpsilon
        self.comparedWith = comparedWith
    }

    /// The variants of `comparedWith` expected clean: the alternative at its best.
    public var companions: [TimeVariant] {
        comparedWith.flatMap(TimeScenarioCatalog.named)?.variants.filter { $0.expected == .clean } ?? []
    }
}

/// The time scenarios, in the order `synod scenario list` prints them.
public enum TimeScenarioCatalog {
    /// ε when the command line names none: the top of Spanner's usual 1–7 ms.
    public static let defaultEpsilon = TimeSpan.milliseconds(7)

    public static let all: [TimeScenario] = [lwwClockSkew, commitWait, uncertaintyRestart]

    public static func named(_ name: String) -> TimeScenario? { all.first { $0.name == name } }

    static let lwwClockSkew = TimeScenario(
        name: "lww-clock-skew",
        story: """
            Three replicas of a last-write-wins register; clients hop between them, read and \
            write, and replicas gossip writes. Clocks are skewed by up to 50 ms. Stamped with \
            wall-clock time, a write made on a server whose clock is behind, after its client \
            saw a newer one, loses to it everywhere; Lamport or hybrid stamps rise along \
            causality and the causally later write wins.
            """,
        variants: LWWRegisterRun.Stamping.allCases.map { stamping in
            TimeVariant(
                name: "lww-clock-skew/\(stamping.rawValue)",
                expected: stamping == .wallClock ? .violation : .clean,
                summary: stamping.summary
            ) { seed, _ in
                var run = LWWRegisterRun(stamping: stamping, seed: seed)
                return run.run()
            }
        },
        usesEpsilon: false)

    static let commitWait = TimeScenario(
        name: "commit-wait",
        story: """
            One replicated group: the leader stamps read-write transactions with \
            ClockBound.now().latest and waits until earliest has passed it before anyone \
            sees the commit; read-only transactions read at their gateway's latest. With \
            commit wait, external consistency holds for any skew within ε; without it a \
            read can miss a write that finished before it started; and when a clock breaks \
            the bound, commit wait no longer helps.
            """,
        variants: [
            TransactionRun.Variant.commitWait, .noWait, .commitWaitBoundBroken,
        ].map(\.timeVariant),
        comparedWith: "uncertainty-restart")

    static let uncertaintyRestart = TimeScenario(
        name: "uncertainty-restart",
        story: """
            CockroachDB's alternative to commit wait: gateways stamp transactions with a \
            hybrid clock and nobody waits; a read that meets a value above its timestamp but \
            inside the uncertainty window (the maximum offset, 2ε for clocks each within ε) \
            restarts above it. Reads then see every write of their keys that finished before \
            they started; without the restart they miss some.
            """,
        variants: [TransactionRun.Variant.uncertaintyRestart, .noRestart].map(\.timeVariant),
        comparedWith: "commit-wait")
}
