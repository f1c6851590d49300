import Checker
import Testing

/// The checker on small hand-written histories, each named after what it shows.
/// Intervals are closed: `0...10` called at 0, returned at 10.
@Suite struct LinearizabilityCheckerTests {
    @Test func aStaleReadIsRejected() throws {
        let history = [
            Op.put("1", 0...10),
            Op.put("2", 20...30),
            Op.get("1", 40...50),
        ]
        let violation = try #require(LinearizabilityChecker.check(history).violation)
        #expect(violation.key == "x")
        #expect(violation.operations == history)
        #expect(violation.explanation.contains("stale read"))
    }

    @Test func aReadAfterAConcurrentOverwriteMayStillSeeTheOldValue() {
        // The second put is still running when the read returns: either order is possible.
        #expect(LinearizabilityChecker.accepts([Op.put("1", 0...10), Op.put("2", 20...60), Op.get("1", 40...50)]))
    }

    @Test func aLostWriteIsRejected() {
        // An acknowledged write that a later read does not see, with nothing else written.
        let history = [Op.put("1", 0...10), Op.get(nil, 20...30)]
        #expect(!LinearizabilityChecker.accepts(history))
    }

    @Test func concurrentWritesMayBeReadInEitherOrder() {
        let writes = [Op.put("1", 0...10, client: 1), Op.put("2", 5...15, client: 2)]
        #expect(LinearizabilityChecker.accepts(writes + [Op.get("1", 20...30, client: 3)]))
        #expect(LinearizabilityChecker.accepts(writes + [Op.get("2", 20...30, client: 3)]))
    }

    @Test func concurrentWritesCannotBeSeenInTwoOrders() throws {
        // Two clients read in turn and see the writes in opposite orders.
        let history = [
            Op.put("1", 0...50, client: 1),
            Op.put("2", 0...50, client: 2),
            Op.get("1", 10...20, client: 3),
            Op.get("2", 21...25, client: 3),
            Op.get("1", 30...40, client: 4),
        ]
        let violation = try #require(LinearizabilityChecker.check(history).violation)
        #expect(violation.blocked == history[4])
    }

    @Test func sequentialWritesReadInTheWrongOrderAreRejected() {
        let history = [
            Op.put("1", 0...10),
            Op.put("2", 20...30),
            Op.get("2", 40...50, client: 2),
            Op.get("1", 60...70, client: 3),
        ]
        #expect(!LinearizabilityChecker.accepts(history))
    }

    @Test func anUnknownWriteMayTakeEffectLate() {
        // The write timed out (info), yet a read long after sees it.
        let history = [
            Op.put("1", 0...10),
            Op.unknown(Op.put("2", 20...30, client: 3)),
            Op.get("1", 40...50),
            Op.get("2", 1_000...1_010),
        ]
        #expect(LinearizabilityChecker.accepts(history))
    }

    @Test func anUnknownWriteMayNeverTakeEffect() {
        let history = [
            Op.put("1", 0...10),
            Op.unknown(Op.put("2", 20...30, client: 3)),
            Op.get("1", 40...50),
            Op.get("1", 1_000...1_010),
        ]
        #expect(LinearizabilityChecker.accepts(history))
    }

    @Test func anUnknownWriteCannotTakeEffectBeforeItWasCalled() {
        let history = [
            Op.put("1", 0...10),
            Op.get("2", 20...30),
            Op.unknown(Op.put("2", 40...50, client: 3)),
        ]
        #expect(!LinearizabilityChecker.accepts(history))
    }

    @Test func anUnknownWriteTakesEffectOnceOnly() {
        // Seen, overwritten, then seen again: that would need two effects.
        let history = [
            Op.unknown(Op.put("2", 0...5, client: 3)),
            Op.get("2", 10...20),
            Op.put("3", 30...40),
            Op.get("2", 50...60),
        ]
        #expect(!LinearizabilityChecker.accepts(history))
    }

    @Test func aFailedOperationNeverTookEffect() {
        let history = [
            Op.put("1", 0...10),
            Op.put("2", 20...30, client: 3, status: .fail),
            Op.get("2", 40...50),
        ]
        #expect(!LinearizabilityChecker.accepts(history))
        #expect(LinearizabilityChecker.accepts(Array(history.prefix(2)) + [Op.get("1", 40...50)]))
    }

    @Test func aReadOfAValueNobodyWroteIsRejected() throws {
        let history = [Op.put("1", 0...10), Op.get("7", 20...30)]
        let violation = try #require(LinearizabilityChecker.check(history).violation)
        #expect(violation.explanation.contains("no operation called before it returned writes that value"))
    }

    @Test func twoConcurrentCasFromTheSameValueCannotBothSucceed() {
        let history = [
            Op.put("0", 0...10),
            Op.cas("0", "1", ok: true, 20...40, client: 2),
            Op.cas("0", "2", ok: true, 20...40, client: 3),
        ]
        #expect(!LinearizabilityChecker.accepts(history))
    }

    @Test func ofTwoConcurrentCasOneSucceedsAndOneFails() {
        let history = [
            Op.put("0", 0...10),
            Op.cas("0", "1", ok: true, 20...40, client: 2),
            Op.cas("0", "2", ok: false, 20...40, client: 3),
            Op.get("1", 50...60),
        ]
        #expect(LinearizabilityChecker.accepts(history))
    }

    @Test func aFailedCasNeedsADifferentValue() {
        let history = [Op.put("0", 0...10), Op.cas("0", "1", ok: false, 20...30)]
        #expect(!LinearizabilityChecker.accepts(history))
    }

    @Test func anUnknownCasMaySucceedOrNot() {
        let base = [Op.put("0", 0...10), Op.unknown(Op.cas("0", "1", ok: nil, 20...30))]
        #expect(LinearizabilityChecker.accepts(base + [Op.get("1", 40...50)]))
        #expect(LinearizabilityChecker.accepts(base + [Op.get("0", 40...50)]))
        #expect(!LinearizabilityChecker.accepts(base + [Op.get("2", 40...50)]))
    }

    @Test func casFromAbsentCreatesAndCasToAbsentDeletes() {
        let history = [
            Op.cas(nil, "1", ok: true, 0...10),
            Op.get("1", 20...30),
            Op.cas("1", nil, ok: true, 40...50),
            Op.get(nil, 60...70),
        ]
        #expect(LinearizabilityChecker.accepts(history))
    }

    @Test func appendsExtendInTheOrderTheyTookEffect() {
        let concurrent = [Op.append("a", 0...10, client: 1), Op.append("b", 5...15, client: 2)]
        #expect(LinearizabilityChecker.accepts(concurrent + [Op.get("ab", 20...30, client: 3)]))
        #expect(LinearizabilityChecker.accepts(concurrent + [Op.get("ba", 20...30, client: 3)]))
        #expect(!LinearizabilityChecker.accepts(concurrent + [Op.get("a", 20...30, client: 3)]))
        let sequential = [Op.append("a", 0...10, client: 1), Op.append("b", 20...30, client: 2)]
        #expect(!LinearizabilityChecker.accepts(sequential + [Op.get("ba", 40...50, client: 3)]))
        #expect(LinearizabilityChecker.accepts(sequential + [Op.get("ab", 40...50, client: 3)]))
    }

    @Test func anAppendToAnAbsentKeyStartsFromEmpty() {
        let history = [Op.put("x", 0...10), Op.delete(20...30), Op.append("y", 40...50), Op.get("y", 60...70)]
        #expect(LinearizabilityChecker.accepts(history))
    }

    @Test func aDeleteThenAGetReadsAbsent() {
        let history = [Op.put("1", 0...10), Op.delete(20...30), Op.get(nil, 40...50)]
        #expect(LinearizabilityChecker.accepts(history))
        #expect(!LinearizabilityChecker.accepts(Array(history.prefix(2)) + [Op.get("1", 40...50)]))
    }

    @Test func operationsThatTouchAtOneInstantAreConcurrent() {
        // The get is called at the very instant the put returns: it may come first.
        #expect(LinearizabilityChecker.accepts([Op.put("1", 0...10), Op.get(nil, 10...20)]))
        #expect(!LinearizabilityChecker.accepts([Op.put("1", 0...10), Op.get(nil, 11...20)]))
    }

    @Test func keysAreCheckedIndependently() throws {
        // Each key alone is fine; a real-time order across keys does not matter to a register per key.
        let history = [
            Op.put("1", 0...10, key: "a"),
            Op.put("1", 20...30, key: "b"),
            Op.get("1", 40...50, key: "a"),
            Op.get(nil, 0...5, key: "b"),
        ]
        let report = LinearizabilityChecker.check(history)
        #expect(report.isLinearizable)
        #expect(report.keys == 2)
        #expect(report.operations == 4)

        let broken = history + [Op.get(nil, 60...70, key: "b")]
        let violation = try #require(LinearizabilityChecker.check(broken).violation)
        #expect(violation.key == "b")
        #expect(violation.operations.allSatisfy { $0.key == "b" })
    }

    @Test func anEmptyHistoryIsLinearizable() {
        let report = LinearizabilityChecker.check(History())
        #expect(report.isLinearizable)
        #expect(report.keys == 0)
    }

    @Test func aViolationFoundBySearchNamesTheOperationThatCannotBePlaced() throws {
        // Not a stale read (the newer write is still running), but the reads disagree on the order.
        let history = [
            Op.put("1", 0...10, client: 1),
            Op.put("2", 15...100, client: 2),
            Op.get("2", 20...30, client: 3),
            Op.get("1", 40...50, client: 3),
        ]
        let violation = try #require(LinearizabilityChecker.check(history).violation)
        #expect(violation.blocked == history[3])
        #expect(violation.operations.contains(history[3]))
        #expect(violation.explanation.contains("it read \"1\" but the value is \"2\""))
    }
}
