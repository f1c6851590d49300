import KV
import SynodCore
import Testing

/// Idempotent Receiver: a retried request is applied once and answered with the
/// original reply; sessions expire by the leader-stamped time in the log only.
@Suite struct SessionTests {
    @Test func aSessionIsNamedByTheIndexOfItsEntry() {
        var replica = Replica()
        replica.apply(.put(key: "x", value: "a"))
        replica.noop()
        #expect(replica.apply(.openSession) == .sessionOpened(id: 3))
        #expect(replica.apply(.openSession, session: 3, sequence: 9) == .sessionOpened(id: 4))
        #expect(replica.store.sessionCount == 2)
    }

    @Test func aRetriedAppendIsAppliedOnceAndGetsTheOriginalReply() {
        var replica = Replica()
        let client = replica.openSession()
        #expect(replica.apply(.append(key: "x", suffix: "a"), session: client, sequence: 1) == .integer(1))
        #expect(replica.apply(.append(key: "x", suffix: "a"), session: client, sequence: 1) == .integer(1))
        #expect(replica.apply(.append(key: "x", suffix: "a"), session: client, sequence: 1) == .integer(1))
        #expect(replica.store.read("x") == ("a", 2), "one suffix, and the version of the first attempt")
    }

    @Test func aRetriedCasGetsTheOriginalAnswerEvenAfterTheValueChanged() {
        var replica = Replica()
        let client = replica.openSession()
        let other = replica.openSession()
        let cas = KVCommand.cas(key: "x", from: nil, to: "mine")
        #expect(replica.apply(cas, session: client, sequence: 1) == .cas(succeeded: true, current: "mine"))
        replica.apply(.put(key: "x", value: "theirs"), session: other, sequence: 1)
        #expect(replica.apply(cas, session: client, sequence: 1) == .cas(succeeded: true, current: "mine"))
        #expect(replica.store.read("x").value == "theirs", "the retry was not applied again")
    }

    @Test func aRetriedIncrementIsAppliedOnceAndGetsTheOriginalSum() {
        var replica = Replica()
        let client = replica.openSession()
        #expect(replica.apply(.increment(key: "n", by: 5), session: client, sequence: 1) == .integer(5))
        replica.apply(.increment(key: "n", by: 100))
        #expect(replica.apply(.increment(key: "n", by: 5), session: client, sequence: 1) == .integer(5))
        #expect(replica.store.read("n") == ("105", 3))
    }

    @Test func aRetriedRefusedIncrementGetsTheSameRefusal() {
        var replica = Replica()
        let client = replica.openSession()
        replica.apply(.put(key: "n", value: "x"))
        #expect(replica.apply(.increment(key: "n", by: 1), session: client, sequence: 1) == .failed(.notAnInteger))
        replica.apply(.put(key: "n", value: "1"))
        #expect(
            replica.apply(.increment(key: "n", by: 1), session: client, sequence: 1) == .failed(.notAnInteger),
            "the recorded reply, not a new attempt")
        #expect(replica.store.read("n").value == "1")
    }

    @Test func aRetriedRemoveGetsTheOriginalCount() {
        var replica = Replica()
        let client = replica.openSession()
        replica.apply(.put(key: "a", value: "1"))
        #expect(replica.apply(.remove(keys: ["a", "b"]), session: client, sequence: 1) == .integer(1))
        replica.apply(.put(key: "b", value: "2"))
        #expect(replica.apply(.remove(keys: ["a", "b"]), session: client, sequence: 1) == .integer(1))
        #expect(replica.store.read("b").value == "2", "the retry removed nothing")
    }

    @Test func aRetriedConditionalPutGetsTheOriginalAnswer() {
        var replica = Replica()
        let client = replica.openSession()
        let setIfAbsent = KVCommand.putIf(key: "x", value: "mine", exists: false)
        #expect(replica.apply(setIfAbsent, session: client, sequence: 1) == .applied(true))
        replica.apply(.delete(key: "x"))
        #expect(replica.apply(setIfAbsent, session: client, sequence: 1) == .applied(true))
        #expect(replica.store.read("x").value == nil, "the retry did not write again")
    }

    @Test func aRetriedReadThroughTheLogGetsTheValueItFirstRead() {
        var replica = Replica()
        let client = replica.openSession()
        replica.apply(.put(key: "x", value: "old"))
        #expect(replica.apply(.get(key: "x"), session: client, sequence: 1) == .value("old", version: 2))
        replica.apply(.put(key: "x", value: "new"))
        #expect(replica.apply(.get(key: "x"), session: client, sequence: 1) == .value("old", version: 2))
        #expect(replica.apply(.get(key: "x"), session: client, sequence: 2) == .value("new", version: 4))
    }

    @Test func anOlderSequenceIsOutOfOrderAndNotApplied() {
        var replica = Replica()
        let client = replica.openSession()
        replica.apply(.append(key: "x", suffix: "1"), session: client, sequence: 1)
        replica.apply(.append(key: "x", suffix: "2"), session: client, sequence: 2)
        #expect(replica.apply(.append(key: "x", suffix: "1"), session: client, sequence: 1) == .outOfOrder)
        #expect(replica.apply(.put(key: "y", value: "late"), session: client, sequence: 1) == .outOfOrder)
        #expect(replica.store.read("x").value == "12")
        #expect(replica.store.read("y").value == nil)
        #expect(replica.apply(.append(key: "x", suffix: "2"), session: client, sequence: 2) == .integer(2))
        #expect(replica.store.read("x").value == "12")
    }

    @Test func sequenceZeroOnAFreshSessionIsOutOfOrder() {
        var replica = Replica()
        let client = replica.openSession()
        #expect(replica.apply(.put(key: "x", value: "a"), session: client, sequence: 0) == .outOfOrder)
        #expect(replica.store.keyCount == 0)
    }

    @Test func aHigherSequenceIsAppliedEvenAfterAGap() {
        var replica = Replica()
        let client = replica.openSession()
        #expect(replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1) == .done)
        #expect(replica.apply(.put(key: "x", value: "b"), session: client, sequence: 5) == .done)
        #expect(replica.store.read("x").value == "b")
        #expect(replica.apply(.put(key: "x", value: "c"), session: client, sequence: 3) == .outOfOrder)
    }

    @Test func sessionsKeepTheirSequencesApart() {
        var replica = Replica()
        let first = replica.openSession()
        let second = replica.openSession()
        replica.apply(.append(key: "x", suffix: "a"), session: first, sequence: 1)
        replica.apply(.append(key: "x", suffix: "b"), session: second, sequence: 1)
        #expect(replica.store.read("x").value == "ab")
    }

    @Test func anUnknownSessionIsExpiredAndNothingIsApplied() {
        var replica = Replica()
        #expect(replica.apply(.put(key: "x", value: "a"), session: 99, sequence: 1) == .sessionExpired)
        #expect(replica.apply(.get(key: "x"), session: 99, sequence: 1) == .sessionExpired)
        #expect(replica.store.keyCount == 0)
        #expect(replica.store.sessionCount == 0)
    }

    @Test func aSessionExpiresAfterItsTimeoutOfStampedTime() {
        var replica = Replica(sessionTimeout: .seconds(10))
        let client = replica.openSession(at: 0)
        #expect(replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1, at: 10) == .done)
        #expect(replica.apply(.get(key: "x"), at: 20) == .value("a", version: 2))
        #expect(replica.store.sessionCount == 1, "idle for exactly the timeout is still alive")
        #expect(replica.apply(.put(key: "x", value: "b"), session: client, sequence: 2, at: 21) == .sessionExpired)
        #expect(replica.store.read("x").value == "a")
        #expect(replica.store.sessionCount == 0)
        #expect(replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1, at: 21) == .sessionExpired)
    }

    @Test func activityKeepsASessionAliveForAnyLength() {
        var replica = Replica(sessionTimeout: .seconds(10))
        let client = replica.openSession(at: 0)
        for step in 1...50 {
            let reply = replica.apply(
                .append(key: "x", suffix: "."), session: client, sequence: UInt64(step), at: Int64(step) * 9)
            #expect(reply == .integer(Int64(step)))
        }
        #expect(replica.store.read("x").value?.count == 50)
    }

    @Test func retriesAndStaleRequestsCountAsActivity() {
        var replica = Replica(sessionTimeout: .seconds(10))
        let client = replica.openSession(at: 0)
        replica.apply(.put(key: "x", value: "a"), session: client, sequence: 2, at: 1)
        replica.apply(.put(key: "x", value: "a"), session: client, sequence: 2, at: 9)
        replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1, at: 18)
        #expect(replica.apply(.get(key: "x"), session: client, sequence: 3, at: 27) == .value("a", version: 2))
    }

    @Test func expiryDependsOnStampedTimeNotOnTheNumberOfEntries() {
        var replica = Replica(sessionTimeout: .seconds(10))
        let client = replica.openSession(at: 0)
        for _ in 0..<3_000 { replica.apply(.put(key: "y", value: "z"), at: 5) }
        #expect(replica.apply(.get(key: "x"), session: client, sequence: 1, at: 10) == .value(nil, version: nil))
    }

    @Test func expiredSessionsAreDroppedWithoutBeingTouched() {
        var replica = Replica(sessionTimeout: .seconds(10))
        for second in 0..<100 { _ = replica.openSession(at: Int64(second) / 10) }
        #expect(replica.store.sessionCount == 100)
        replica.apply(.put(key: "x", value: "a"), at: 15)
        #expect(replica.store.sessionCount == 50, "those last active before 5 s are gone")
        replica.noop()
        #expect(replica.store.sessionCount == 50, "a no-op carries no time")
        replica.apply(.get(key: "x"), at: 100)
        #expect(replica.store.sessionCount == 0)
    }

    @Test func theSessionTableStaysBoundedUnderSteadyChurn() {
        var replica = Replica(sessionTimeout: .seconds(10))
        for second in 0..<1_000 {
            _ = replica.openSession(at: Int64(second))
            #expect(replica.store.sessionCount <= 11)
        }
    }

    @Test func stampedTimeGoingBackDoesNotReviveAnExpiredSession() {
        var replica = Replica(sessionTimeout: .seconds(60))
        let client = replica.openSession(at: 0)
        replica.apply(.put(key: "y", value: "b"), at: 100)  // a leader whose clock runs ahead
        #expect(replica.store.latestTime == .seconds(100))
        #expect(replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1, at: 30) == .sessionExpired)
        #expect(replica.store.latestTime == .seconds(100), "the store's time never goes back")
        #expect(replica.store.read("x").value == nil)
    }

    @Test func stampedTimeGoingBackDoesNotExpireASessionEarly() {
        var replica = Replica(sessionTimeout: .seconds(60))
        replica.apply(.get(key: "x"), at: 100)
        let client = replica.openSession(at: 40)  // a new leader whose clock is behind
        #expect(replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1, at: 45) == .done)
        #expect(
            replica.apply(.put(key: "x", value: "b"), session: client, sequence: 2, at: 150) == .done,
            "activity counts from the store's time (100), not from the stamp (45)")
        #expect(replica.apply(.get(key: "x"), session: client, sequence: 3, at: 211) == .sessionExpired)
    }
}
