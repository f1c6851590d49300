import SynodCore
import Testing

@Suite struct LamportClockTests {
    @Test func ticksOnEveryLocalEvent() {
        var clock = LamportClock()
        #expect(clock.tick() == 1)
        #expect(clock.tick() == 2)
        #expect(clock.latest == 2)
    }

    @Test func aReceiveIsAfterTheSenderAndEveryEarlierLocalEvent() {
        var behind = LamportClock()
        #expect(behind.receive(41) == 42, "max(0, 41) + 1")
        var ahead = LamportClock(latest: 100)
        #expect(ahead.receive(7) == 101, "an older timestamp still moves the clock on")
        #expect(ahead.tick() == 102)
    }

    @Test func causallyLaterEventsCarryHigherTimestamps() {
        var a = LamportClock()
        var b = LamportClock(latest: 500)
        var c = LamportClock()
        let write = a.tick()
        let relayed = b.receive(write)
        let read = c.receive(relayed)
        #expect(write < relayed && relayed < read)
    }
}

@Suite struct HybridClockTests {
    static func wall(_ milliseconds: Int64) -> WallTime { WallTime(nanoseconds: milliseconds * 1_000_000) }

    @Test func followsThePhysicalClockWhileItMovesForward() {
        var clock = HybridClock()
        #expect(clock.now(physical: Self.wall(10)) == HybridTimestamp(wallTime: Self.wall(10)))
        #expect(clock.now(physical: Self.wall(12)) == HybridTimestamp(wallTime: Self.wall(12)))
    }

    @Test func staysMonotonicWhenThePhysicalClockJumpsBack() {
        var clock = HybridClock()
        let before = clock.now(physical: Self.wall(1_000))
        let stepped = clock.now(physical: Self.wall(400))
        let again = clock.now(physical: Self.wall(400))
        #expect(stepped == HybridTimestamp(wallTime: Self.wall(1_000), logical: 1))
        #expect(before < stepped && stepped < again)
        #expect(clock.now(physical: Self.wall(1_001)) == HybridTimestamp(wallTime: Self.wall(1_001)))
    }

    @Test func aReceiveTakesTheRemoteWallTimeWhenItIsAhead() throws {
        var clock = HybridClock(maxOffset: .milliseconds(500))
        _ = clock.now(physical: Self.wall(100))
        let remote = HybridTimestamp(wallTime: Self.wall(300), logical: 4)
        let merged = try clock.update(with: remote, physical: Self.wall(120))
        #expect(merged == HybridTimestamp(wallTime: Self.wall(300), logical: 5))
        #expect(clock.now(physical: Self.wall(150)) == HybridTimestamp(wallTime: Self.wall(300), logical: 6))
    }

    @Test func aReceiveWithTheSameWallTimeTakesTheHigherCounter() throws {
        var clock = HybridClock()
        _ = clock.now(physical: Self.wall(100))
        _ = clock.now(physical: Self.wall(100))  // logical 1
        let merged = try clock.update(with: HybridTimestamp(wallTime: Self.wall(100), logical: 7), physical: .zero)
        #expect(merged == HybridTimestamp(wallTime: Self.wall(100), logical: 8))
        let local = try clock.update(with: HybridTimestamp(wallTime: Self.wall(50), logical: 9), physical: .zero)
        #expect(local == HybridTimestamp(wallTime: Self.wall(100), logical: 9), "an older remote only ticks")
    }

    @Test func aReceiveAfterThePhysicalClockPassedEverythingResetsTheCounter() throws {
        var clock = HybridClock()
        _ = clock.now(physical: Self.wall(100))
        let merged = try clock.update(
            with: HybridTimestamp(wallTime: Self.wall(90), logical: 3), physical: Self.wall(200))
        #expect(merged == HybridTimestamp(wallTime: Self.wall(200)))
    }

    @Test func rejectsARemoteTimestampBeyondTheMaximumOffset() {
        var clock = HybridClock(maxOffset: .milliseconds(500))
        let before = clock.now(physical: Self.wall(1_000))
        let remote = HybridTimestamp(wallTime: Self.wall(1_501))
        #expect(throws: HybridClockError(remote: remote, physical: Self.wall(1_000), maxOffset: .milliseconds(500))) {
            try clock.update(with: remote, physical: Self.wall(1_000))
        }
        #expect(clock.latest == before, "a refused timestamp is not merged")
        let edge = HybridTimestamp(wallTime: Self.wall(1_500))
        #expect(
            (try? clock.update(with: edge, physical: Self.wall(1_000))) == edge.next, "exactly the offset is allowed")
    }

    @Test func theErrorSaysHowFarAheadAndTheBound() {
        let error = HybridClockError(
            remote: HybridTimestamp(wallTime: Self.wall(2_000)), physical: Self.wall(1_000),
            maxOffset: .milliseconds(500))
        #expect(error.description.contains("1s ahead"))
        #expect(error.description.contains("maximum offset 500ms"))
    }

    /// Seed 7: random physical readings that wander back and forth and random merges
    /// never make the clock go back, and every receive is after the message it merged.
    @Test func neverGoesBackUnderRandomJumpsAndMerges() throws {
        var random = SeededGenerator(seed: 7)
        var clock = HybridClock(maxOffset: .seconds(1))
        var previous = HybridTimestamp.zero
        for _ in 0..<10_000 {
            let physical = Self.wall(1_000 + Int64(random.next(upperBound: 200 as UInt64)))
            let next: HybridTimestamp
            if random.chance(0.3) {
                let remote = HybridTimestamp(
                    wallTime: physical + .milliseconds(Int64(random.next(upperBound: 100 as UInt64))),
                    logical: UInt32(random.next(upperBound: 5 as UInt64)))
                next = try clock.update(with: remote, physical: physical)
                #expect(next > remote)
            } else {
                next = clock.now(physical: physical)
            }
            #expect(next > previous)
            #expect(next.wallTime >= physical)
            previous = next
        }
    }
}

@Suite struct ClockBoundTests {
    static let bound = ClockBound(epsilon: .milliseconds(7))
    static let reading = WallTime(nanoseconds: 1_000_000_000)

    @Test func nowIsAnIntervalOfTwiceEpsilonAroundTheReading() {
        let interval = Self.bound.now(physical: Self.reading)
        #expect(interval.earliest == Self.reading - .milliseconds(7))
        #expect(interval.latest == Self.reading + .milliseconds(7))
        #expect(interval.contains(Self.reading))
        #expect(!interval.contains(Self.reading + .milliseconds(8)))
    }

    @Test func commitWaitLastsUntilEarliestHasPassedTheTimestamp() {
        let s = Self.bound.now(physical: Self.reading).latest
        let wait = Self.bound.commitWait(until: s, physical: Self.reading)
        #expect(wait == .milliseconds(14) + TimeSpan(nanoseconds: 1), "from latest to past earliest: 2ε")
        #expect(!Self.bound.hasPassed(s, physical: Self.reading + .milliseconds(14)))
        #expect(Self.bound.hasPassed(s, physical: Self.reading + wait))
        #expect(Self.bound.commitWait(until: s, physical: Self.reading + wait) == .zero)
    }

    @Test func aClockThatStepsBackMustWaitAgain() {
        let s = Self.bound.now(physical: Self.reading).latest
        let after = Self.reading + .milliseconds(15)
        #expect(Self.bound.commitWait(until: s, physical: after) == .zero)
        #expect(Self.bound.commitWait(until: s, physical: after - .milliseconds(5)) > .zero)
    }

    @Test func withoutUncertaintyNowIsTheReading() {
        let exact = ClockBound(epsilon: .zero)
        #expect(exact.now(physical: Self.reading) == UncertaintyInterval(earliest: Self.reading, latest: Self.reading))
        #expect(exact.commitWait(until: Self.reading, physical: Self.reading) == TimeSpan(nanoseconds: 1))
    }
}
