import Lab
import SynodCore
import Testing

/// The time scenarios' outcomes, pinned with fixed seeds (1...3) at ε = 7 ms: each
/// checker passes where the story says it holds and fails where it says it breaks.
@Suite struct TimeScenarioTests {
    static let seeds: [UInt64] = [1, 2, 3]

    static func variant(_ name: String) -> TimeVariant {
        TimeScenarioCatalog.all.flatMap(\.variants).first { $0.name == name }!
    }

    static func results(_ name: String, epsilon: TimeSpan = .milliseconds(7)) -> [TimeRunResult] {
        seeds.map { variant(name).run(seed: $0, epsilon: epsilon) }
    }

    static func replay(_ name: String) -> String {
        let scenario = name.split(separator: "/").first!
        return "replay: swift run -c release synod scenario run \(scenario) --seeds \(seeds.count)"
    }

    @Test(arguments: [
        "lww-clock-skew/wall-clock", "commit-wait/no-wait", "commit-wait/clock-bound-broken",
        "uncertainty-restart/no-restart",
    ])
    func aBrokenPromiseShowsOnEverySeed(name: String) {
        #expect(Self.variant(name).expected == .violation)
        for result in Self.results(name) {
            #expect(result.violation != nil, "seed \(result.seed); \(Self.replay(name))")
        }
    }

    @Test(arguments: [
        "lww-clock-skew/lamport", "lww-clock-skew/hybrid", "commit-wait/skew-within-bound",
        "uncertainty-restart/skew-within-bound",
    ])
    func aKeptPromiseIsCleanOnEverySeed(name: String) {
        #expect(Self.variant(name).expected == .clean)
        for result in Self.results(name) {
            #expect(result.violation == nil, "seed \(result.seed); \(Self.replay(name))")
            #expect(result.finished > 100, "the run did work")
        }
    }

    @Test func commitWaitHoldsForAnySkewWithinTinyAndLargeBounds() {
        for epsilon in [TimeSpan.microseconds(200), .milliseconds(20)] {
            let results = Self.results("commit-wait/skew-within-bound", epsilon: epsilon)
            #expect(results.allSatisfy { $0.violation == nil }, "ε=\(epsilon)")
        }
    }

    @Test func commitWaitCostsAboutTwiceEpsilonAndRestartsCostLess() throws {
        let wait = TimeFigures(Self.results("commit-wait/skew-within-bound"))
        let noWait = TimeFigures(Self.results("commit-wait/no-wait"))
        let restart = TimeFigures(Self.results("uncertainty-restart/skew-within-bound"))
        let p50 = try #require(wait.commitP50)
        #expect(p50 >= .milliseconds(14), "commit wait alone is 2ε")
        #expect(try #require(noWait.commitP50) < .milliseconds(5))
        #expect(try #require(restart.commitP50) < .milliseconds(5))
        #expect(restart.restarts > 0, "reads meet values inside the window")
    }

    @Test func aRunIsAFunctionOfItsSeed() {
        let first = Self.variant("uncertainty-restart/skew-within-bound").run(seed: 5, epsilon: .milliseconds(7))
        let again = Self.variant("uncertainty-restart/skew-within-bound").run(seed: 5, epsilon: .milliseconds(7))
        #expect(first.commitLatencies == again.commitLatencies)
        #expect(first.restarts == again.restarts)
    }
}

@Suite struct PhysicalClockTests {
    @Test func withinBoundStaysWithinEpsilonForTheWholeRun() {
        var random = SeededGenerator(seed: 3)
        for epsilon in [TimeSpan.zero, .microseconds(1), .milliseconds(1), .milliseconds(7)] {
            for _ in 0..<200 {
                let clock = PhysicalClock.withinBound(epsilon, for: .seconds(1), random: &random)
                #expect(clock.maxError(over: .seconds(1)) <= epsilon)
            }
        }
    }

    @Test func aStepTakesTheReadingOutsideTheBound() {
        let clock = PhysicalClock(step: PhysicalClock.Step(at: .zero + .milliseconds(10), by: .milliseconds(-30)))
        #expect(clock.read(.zero + .milliseconds(9)) == PhysicalClock.truth(.zero + .milliseconds(9)))
        #expect(
            clock.read(.zero + .milliseconds(10)) == PhysicalClock.truth(.zero + .milliseconds(10)) - .milliseconds(30))
        #expect(clock.maxError(over: .seconds(1)) == .milliseconds(30))
    }

    @Test func aTimerOnAFastClockFiresSoonerInTrueTime() {
        let fast = PhysicalClock(driftPPM: 100_000)
        let span = fast.trueSpan(forLocal: .milliseconds(11))
        #expect(span == .milliseconds(10))
        #expect(fast.read(.zero + span) - fast.read(.zero) >= .milliseconds(11))
    }
}
