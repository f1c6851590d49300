import Checker
import SynodCore
import Testing

@Suite struct CausalWriteCheckTests {
    /// Write 1 at server A; B reads it, then writes 2: 2 causally follows 1.
    static func chain(_ first: Int, _ second: Int) -> [CausalWrite<Int>] {
        [CausalWrite(id: 1, stamp: first, past: []), CausalWrite(id: 2, stamp: second, past: [1])]
    }

    @Test func passesWhenStampsRiseAlongCausalityAndReplicasHoldTheLatest() {
        #expect(CausalWriteCheck.check(writes: Self.chain(10, 11), settled: [2, 2, 2]) == nil)
    }

    @Test func failsWhenACausallyLaterWriteIsStampedLower() {
        let lost = CausalWriteCheck.check(writes: Self.chain(10, 9), settled: [1, 1])
        #expect(lost == LostWrite(lost: 2, survivor: 1, replica: nil))
        #expect(lost?.description.contains("write 2 came causally after write 1 but is stamped below it") == true)
        #expect(CausalWriteCheck.check(writes: Self.chain(10, 10), settled: [2])?.lost == 2, "a tie loses too")
    }

    @Test func failsWhenAReplicaSettlesOnAWriteThatALaterOneFollowed() {
        let lost = CausalWriteCheck.check(writes: Self.chain(10, 11), settled: [2, 1, 2])
        #expect(lost == LostWrite(lost: 2, survivor: 1, replica: 1))
        #expect(lost?.description == "replica 2 settled on write 1, but write 2 came causally after it and is lost")
    }

    @Test func eitherOfTwoConcurrentWritesMayWin() {
        let concurrent = [CausalWrite(id: 1, stamp: 10, past: []), CausalWrite(id: 2, stamp: 5, past: [])]
        #expect(CausalWriteCheck.check(writes: concurrent, settled: [1, 1]) == nil)
        #expect(CausalWriteCheck.check(writes: concurrent, settled: [2, 2]) == nil)
    }

    @Test func theInitialValueIsLostToAnyWrite() {
        #expect(CausalWriteCheck.check(writes: Self.chain(1, 2), settled: [nil])?.lost == 1)
        #expect(CausalWriteCheck.check(writes: [CausalWrite<Int>](), settled: [nil]) == nil)
    }
}

@Suite struct ExternalConsistencyCheckTests {
    static func tx(
        _ id: Int, _ start: Int64, _ finish: Int64, ts: Int, writes: Bool = true, keys: [String] = ["x"]
    ) -> TimestampedTransaction<Int> {
        TimestampedTransaction(
            id: id, start: Instant(nanoseconds: start), finish: Instant(nanoseconds: finish), timestamp: ts,
            writes: writes, keys: keys)
    }

    @Test func passesWhenRealTimeOrderAndTimestampOrderAgree() {
        let history = [Self.tx(1, 0, 10, ts: 5), Self.tx(2, 11, 20, ts: 15), Self.tx(3, 21, 22, ts: 15, writes: false)]
        #expect(ExternalConsistencyCheck.check(history) == nil)
    }

    @Test func failsWhenALaterTransactionHasALowerTimestamp() throws {
        let history = [Self.tx(1, 0, 10, ts: 50), Self.tx(2, 11, 20, ts: 40, writes: false, keys: ["y"])]
        let violation = try #require(ExternalConsistencyCheck.check(history))
        #expect(violation.earlier.id == 1 && violation.later.id == 2)
        #expect(violation.description.contains("transaction 1 finished at t=0.000000"))
    }

    @Test func overlappingTransactionsMayBeOrderedEitherWay() {
        let history = [Self.tx(1, 0, 10, ts: 50), Self.tx(2, 10, 20, ts: 40)]
        #expect(ExternalConsistencyCheck.check(history) == nil, "closed intervals that touch are concurrent")
    }

    @Test func aReadMayShareTheTimestampOfTheWriteBeforeItAndAWriteMayNot() {
        let read = [Self.tx(1, 0, 10, ts: 50), Self.tx(2, 11, 20, ts: 50, writes: false)]
        let write = [Self.tx(1, 0, 10, ts: 50), Self.tx(2, 11, 20, ts: 50)]
        #expect(ExternalConsistencyCheck.check(read) == nil)
        #expect(ExternalConsistencyCheck.check(write)?.later.id == 2)
    }

    @Test func readOnlyTransactionsConstrainNothingAfterThem() {
        let history = [Self.tx(1, 0, 10, ts: 90, writes: false), Self.tx(2, 11, 20, ts: 40)]
        #expect(ExternalConsistencyCheck.check(history) == nil)
    }

    @Test func theHighestEarlierTimestampIsTheOneThatCounts() {
        let history = [
            Self.tx(1, 0, 5, ts: 10), Self.tx(2, 0, 6, ts: 70), Self.tx(3, 0, 7, ts: 20), Self.tx(4, 8, 9, ts: 60),
        ]
        let violation = ExternalConsistencyCheck.check(history)
        #expect(violation?.earlier.id == 2 && violation?.later.id == 4)
    }

    @Test func withSharedKeysOnlyPairsOnACommonKeyCount() {
        let history = [
            Self.tx(1, 0, 10, ts: 50, keys: ["x"]), Self.tx(2, 11, 20, ts: 40, keys: ["y"]),
            Self.tx(3, 21, 30, ts: 45, writes: false, keys: ["y", "z"]),
        ]
        #expect(ExternalConsistencyCheck.check(history)?.later.id == 2)
        #expect(ExternalConsistencyCheck.check(history, scope: .sharedKeys) == nil)
        let stale = history + [Self.tx(4, 31, 32, ts: 42, writes: false, keys: ["x"])]
        let violation = ExternalConsistencyCheck.check(stale, scope: .sharedKeys)
        #expect(violation?.earlier.id == 1 && violation?.later.id == 4)
    }
}
