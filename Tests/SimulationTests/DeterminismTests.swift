import Raft
import Simulation
import SynodCore
import Testing

/// A run is a function of (options, seed): that is what makes a failing seed worth
/// printing. Checked on whole traces, byte for byte.
@Suite struct DeterminismTests {
    /// One traced run: every trace line (each ending in a newline) as bytes, the report's
    /// counters and outcome, and the servers' final states.
    struct TracedRun: Sendable, Equatable {
        var trace: [UInt8]
        var lines: Int
        var outcome: Outcome
        var finalState: String
    }

    /// Everything in a `SimulationReport` (which is not `Equatable` itself).
    struct Outcome: Sendable, Equatable {
        var seed: UInt64
        var events: Int
        var faults: Int
        var commits: Int
        var elections: Int
        var endTime: Instant
        var violation: Violation?

        init(_ report: SimulationReport) {
            seed = report.seed
            events = report.events
            faults = report.faults
            commits = report.commits
            elections = report.elections
            endTime = report.endTime
            violation = report.violation
        }
    }

    static func traced(_ options: SimulationOptions, seed: UInt64) -> TracedRun {
        var trace: [UInt8] = []
        var lines = 0
        var simulation = Simulation(options: options, seed: seed)
        let report = simulation.run { line in
            trace.append(contentsOf: line.utf8)
            trace.append(UInt8(ascii: "\n"))
            lines += 1
        }
        return TracedRun(trace: trace, lines: lines, outcome: Outcome(report), finalState: simulation.stateSummary())
    }

    /// The first line where two traces differ, for the failure message.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let left = a.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let right = b.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (number, (x, y)) in zip(left, right).enumerated() where x != y {
            return
                "line \(number + 1):\n  \(String(decoding: x, as: UTF8.self))\n  \(String(decoding: y, as: UTF8.self))"
        }
        return "one trace is a prefix of the other (\(left.count) and \(right.count) lines)"
    }

    @Test(arguments: [(FaultProfile.swarm, UInt64(7)), (.swarm, 42), (.network, 3), (.crash, 5)])
    func theSameSeedTwiceEvenConcurrentlyGivesByteIdenticalTracesAndReports(faults: FaultProfile, seed: UInt64)
        async
    {
        let options = SimulationOptions(faults: faults)
        // Both runs at once, on different threads: nothing global may leak between them.
        async let first = Self.traced(options, seed: seed)
        async let second = Self.traced(options, seed: seed)
        let (a, b) = await (first, second)

        #expect(a.lines > 1_000, failureMessage(seed: seed, options: options, "a trace of only \(a.lines) lines"))
        #expect(
            a.trace == b.trace,
            failureMessage(seed: seed, options: options, "traces differ at \(Self.firstDifference(a.trace, b.trace))"))
        #expect(
            a.outcome == b.outcome, failureMessage(seed: seed, options: options, "\(a.outcome) != \(b.outcome)"))
        #expect(a.finalState == b.finalState, failureMessage(seed: seed, options: options, "final states differ"))
    }

    @Test func tracingDoesNotChangeTheRun() {
        let options = SimulationOptions(faults: .swarm)
        let seed: UInt64 = 11
        let traced = Self.traced(options, seed: seed)
        var plain = Simulation(options: options, seed: seed)
        let report = plain.run()
        #expect(
            Outcome(report) == traced.outcome,
            failureMessage(seed: seed, options: options, "the traced run went differently from the untraced one"))
        #expect(
            plain.stateSummary() == traced.finalState,
            failureMessage(seed: seed, options: options, "the traced run ended in another state"))
    }

    @Test func differentSeedsGiveDifferentTraces() {
        let options = SimulationOptions(faults: .swarm)
        let seeds: (UInt64, UInt64) = (7, 8)
        let a = Self.traced(options, seed: seeds.0)
        let b = Self.traced(options, seed: seeds.1)
        #expect(
            a.trace != b.trace && (a.outcome.events, a.finalState) != (b.outcome.events, b.finalState),
            failureMessage(seed: seeds.0, options: options, "seed \(seeds.1) ran the same way"))

        // Even without faults, the seed alone moves timeouts, latencies and drift.
        let quiet = SimulationOptions(faults: .none)
        #expect(
            Self.traced(quiet, seed: seeds.0).trace != Self.traced(quiet, seed: seeds.1).trace,
            failureMessage(seed: seeds.0, options: quiet, "seed \(seeds.1) gave the same trace"))
    }

    @Test func aStoryToldTwiceEndsTheSameWay() {
        let seed: UInt64 = 3
        func tell() -> (String, Int, LogIndex) {
            var cluster = Simulation.story(seed: seed)
            cluster.run(for: .milliseconds(700))
            if let leader = cluster.leader { cluster.crash(leader) }
            cluster.partition([1, 2], [3, 4, 5])
            cluster.run(for: .seconds(1))
            cluster.heal()
            cluster.run(for: .milliseconds(500))
            return (cluster.stateSummary(), cluster.report.events, cluster.commitIndex)
        }
        let (first, second) = (tell(), tell())
        #expect(
            first == second,
            failureMessage(
                seed: seed, options: SimulationOptions(), "the story ended differently the second time", scripted: true)
        )
    }
}
