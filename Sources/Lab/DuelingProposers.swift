import Paxos
import Simulation
import SynodCore

/// Two proposers of one single-decree instance that pre-empt each other: each one's
/// prepare lands between the other's promises and its accepts, so every accept is
/// rejected and, without back-off, the duel goes on for ever (a livelock: safe, never
/// live). Randomized back-off lets one proposer finish its round while the other waits.
public enum DuelingProposers {
    public static let name = "dueling-proposers"
    public static let story = """
        Two proposers of one instance, no faults. Each retries at once with a higher ballot \
        when rejected, and each one's prepare lands after the other's promises but before \
        its accepts: every round is pre-empted and no value is ever chosen (a livelock). \
        With randomized back-off before a retry, one proposer's round completes and a value \
        is chosen within milliseconds; with a stable leader (only node 1 proposes at once, \
        the other waits 100 ms first) the leader's first round chooses.
        """

    /// What a variant is expected to show.
    public enum Outcome: String, Sendable {
        /// No value chosen within the window.
        case livelock
        /// A value chosen within the window.
        case chosen
    }

    public struct Variant: Sendable {
        public let name: String
        public let backoff: SingleDecree.Backoff
        /// The stable leader, if the variant has one.
        public var leader: NodeID?
        public let expected: Outcome
    }

    public static let variants = [
        Variant(name: "\(name)/no-backoff", backoff: .none, expected: .livelock),
        Variant(
            name: "\(name)/randomized-backoff",
            backoff: .randomized(base: .milliseconds(1), cap: .milliseconds(100)), expected: .chosen),
        Variant(name: "\(name)/stable-leader", backoff: .none, leader: 1, expected: .chosen),
    ]

    /// How long a run waits for a value to be chosen.
    public static let window = TimeSpan.seconds(1)
    /// Every link's latency and every sync's duration: a round trip is short next to a sync.
    static let latency = TimeSpan.microseconds(100)
    static let sync = TimeSpan.milliseconds(1)

    /// What one run measured.
    public struct Result: Sendable {
        public var seed: UInt64
        public var chosen: SingleDecree.Proposal?
        public var timeToChoose: TimeSpan?
        public var ballots: Int
        public var violation: Violation?
    }

    /// The run's options: one instance, proposers on nodes 1 and 2. The second starts
    /// late by two link latencies and a share of a sync drawn from the seed, which puts
    /// its prepare between the first one's promises and accepts.
    public static func options(_ variant: Variant, seed: UInt64) -> SingleDecreeOptions {
        var random = SeededGenerator(seed: seed, stream: 77)
        let offset =
            latency * 2
            + TimeSpan(nanoseconds: sync.nanoseconds / 4 + Int64(random.next(upperBound: UInt64(sync.nanoseconds / 2))))
        let instance = SingleDecree.InstanceID(1)
        var options = SingleDecreeOptions(
            nodes: 5, duration: TimeSpan(nanoseconds: window.nanoseconds * 5 / 4), faults: .none)
        options.backoff = variant.backoff
        options.distinguishedProposer = variant.leader
        options.checkLiveness = false
        options.uniformLatency = latency
        options.jitter = .microseconds(2)
        options.syncLatency = sync
        options.script = [
            ScriptedProposal(instance: instance, node: 1, value: SingleDecree.Value(1), at: .zero),
            ScriptedProposal(instance: instance, node: 2, value: SingleDecree.Value(2), at: .zero + offset),
        ]
        return options
    }

    public static func run(_ variant: Variant, seed: UInt64) -> Result {
        var simulation = SingleDecreeSimulation(options: options(variant, seed: seed), seed: seed)
        simulation.run(until: .zero + window)
        let report = simulation.report
        return Result(
            seed: seed, chosen: simulation.chosen(SingleDecree.InstanceID(1)), timeToChoose: report.timesToChoose.first,
            ballots: report.ballots, violation: report.violation)
    }

    /// A variant's figures over many seeds.
    public struct Summary: Sendable {
        public let variant: Variant
        public let results: [Result]

        public init(variant: Variant, results: [Result]) {
            self.variant = variant
            self.results = results
        }

        public var chosenCount: Int { results.filter { $0.chosen != nil }.count }
        /// Livelock when no seed chose a value, chosen when every seed did; nil when mixed.
        public var outcome: Outcome? {
            if chosenCount == 0 { return .livelock }
            return chosenCount == results.count ? .chosen : nil
        }
        public var meanBallots: Double {
            results.isEmpty ? 0 : Double(results.reduce(0) { $0 + $1.ballots }) / Double(results.count)
        }
        /// Time to choose, in milliseconds, sorted, over the seeds that chose.
        public var timesToChoose: [Double] { results.compactMap(\.timeToChoose).map(\.milliseconds).sorted() }
        public var violations: [Result] { results.filter { $0.violation != nil } }
    }
}
