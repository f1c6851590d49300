import KV
import SynodCore
import Testing

/// The writes behind MSET, MSETNX, GETSET, SET ... GET, GETDEL and FLUSHALL: what each
/// does to the keys and answers, as Redis's string commands do.
@Suite struct RedisStringCommandTests {
    private func pairs(_ list: KeyValuePairs<String, String>) -> [KeyValuePair] {
        list.map { KeyValuePair(key: ByteString($0.key), value: ByteString($0.value)) }
    }

    @Test func putAllWritesEveryPairAtOneIndexAndALaterDuplicateWins() {
        var replica = Replica()
        #expect(replica.apply(.putAll(pairs: pairs(["a": "1", "b": "2", "a": "3"]), ifAllAbsent: false)) == .done)
        #expect(replica.store.read("a") == ("3", 1))
        #expect(replica.store.read("b") == ("2", 1), "both keys carry the version of the one entry")
        #expect(replica.store.keyCount == 2)
    }

    @Test func putAllIfAllAbsentWritesNothingWhenAnyKeyExists() {
        var replica = Replica()
        replica.apply(.put(key: "b", value: "old"))
        #expect(replica.apply(.putAll(pairs: pairs(["a": "1", "b": "2"]), ifAllAbsent: true)) == .applied(false))
        #expect(replica.store.read("a") == (nil, nil), "MSETNX is all or nothing")
        #expect(replica.store.read("b") == ("old", 1))
        #expect(replica.apply(.putAll(pairs: pairs(["a": "1", "c": "2"]), ifAllAbsent: true)) == .applied(true))
        #expect(replica.store.read("a") == ("1", 3))
        #expect(replica.store.read("c") == ("2", 3))
    }

    @Test func getAndPutAnswersTheOldValueAndWritesWhenItsConditionHolds() {
        var replica = Replica()
        #expect(replica.apply(.getAndPut(key: "k", value: "a", exists: nil)) == .value(nil, version: nil))
        #expect(replica.apply(.getAndPut(key: "k", value: "b", exists: nil)) == .value("a", version: 1))
        #expect(replica.store.read("k") == ("b", 2))
        // SET k c NX GET: the key exists, so nothing is written, and the old value is the answer.
        #expect(replica.apply(.getAndPut(key: "k", value: "c", exists: false)) == .value("b", version: 2))
        #expect(replica.store.read("k") == ("b", 2))
        // SET n v XX GET on an absent key: nil, nothing written.
        #expect(replica.apply(.getAndPut(key: "n", value: "v", exists: true)) == .value(nil, version: nil))
        #expect(replica.store.read("n") == (nil, nil))
        #expect(replica.apply(.getAndPut(key: "n", value: "v", exists: false)) == .value(nil, version: nil))
        #expect(replica.store.read("n") == ("v", 5))
        #expect(replica.apply(.getAndPut(key: "n", value: "w", exists: true)) == .value("v", version: 5))
        #expect(replica.store.read("n") == ("w", 6))
    }

    @Test func getAndDeleteAnswersTheValueItRemoved() {
        var replica = Replica()
        replica.apply(.put(key: "k", value: "v"))
        #expect(replica.apply(.getAndDelete(key: "k")) == .value("v", version: 1))
        #expect(replica.store.read("k") == (nil, nil))
        #expect(replica.apply(.getAndDelete(key: "k")) == .value(nil, version: nil))
    }

    @Test func removeAllEmptiesTheKeysButKeepsSessions() {
        var replica = Replica()
        let session = replica.openSession()
        replica.apply(.putAll(pairs: pairs(["a": "1", "b": "2"]), ifAllAbsent: false))
        #expect(replica.apply(.removeAll, session: session, sequence: 1) == .done)
        #expect(replica.store.keyCount == 0)
        #expect(replica.store.sessionCount == 1)
        #expect(replica.apply(.removeAll, session: session, sequence: 1) == .done, "a retry gets the same answer")
    }

    @Test func theKeysOfTheNewCommands() {
        #expect(KVCommand.putAll(pairs: pairs(["a": "1", "b": "2"]), ifAllAbsent: false).keys == ["a", "b"])
        #expect(KVCommand.putAll(pairs: pairs(["a": "1"]), ifAllAbsent: false).key == "a")
        #expect(KVCommand.putAll(pairs: pairs(["a": "1", "b": "2"]), ifAllAbsent: false).key == nil)
        #expect(KVCommand.getAndPut(key: "k", value: "v", exists: nil).key == "k")
        #expect(KVCommand.getAndDelete(key: "k").keys == ["k"])
        #expect(KVCommand.removeAll.keys.isEmpty)
        let writes: [KVCommand] = [.removeAll, .getAndDelete(key: "k"), .putAll(pairs: [], ifAllAbsent: true)]
        #expect(writes.allSatisfy { $0.isWrite })
    }

    // MARK: KEYS and SCAN

    @Test func keysAreSortedAndFiltered() {
        var replica = Replica()
        replica.apply(
            .putAll(pairs: pairs(["user:2": "", "user:1": "", "order:1": "", "user:10": ""]), ifAllAbsent: false))
        #expect(replica.store.keys(matching: KeyPattern("*")) == ["order:1", "user:1", "user:10", "user:2"])
        #expect(replica.store.keys(matching: KeyPattern("user:?")) == ["user:1", "user:2"])
        #expect(replica.store.keys(matching: KeyPattern("nothing*")) == [])
    }

    /// Redis's guarantee: a key present from the first call to the last is returned,
    /// whatever is written and deleted in between.
    @Test func aScanReturnsEveryKeyPresentThroughoutTheWalkDespiteChurn() {
        var replica = Replica()
        let stable: [ByteString] = (0..<300).map { "stable:\($0)" }
        replica.apply(.putAll(pairs: stable.map { KeyValuePair(key: $0, value: "") }, ifAllAbsent: false))
        var random = SeededGenerator(seed: 5)
        var seen: [ByteString: Int] = [:]
        var cursor: UInt64 = 0
        var steps = 0
        repeat {
            let (next, keys) = replica.store.scan(from: cursor, count: 7, matching: nil)
            for key in keys { seen[key, default: 0] += 1 }
            // Churn: add and remove other keys between the steps.
            let churn: [ByteString] = (0..<5).map { _ in "churn:\(random.int(0...99))" }
            replica.apply(.putAll(pairs: churn.map { KeyValuePair(key: $0, value: "") }, ifAllAbsent: false))
            replica.apply(.remove(keys: (0..<5).map { _ in ByteString("churn:\(random.int(0...99))") }))
            cursor = next
            steps += 1
        } while cursor != 0 && steps < 1_000
        #expect(cursor == 0, "the walk ends")
        #expect(stable.allSatisfy { seen[$0] == 1 }, "each stable key exactly once")
        #expect(steps > 300 / 7 / 2, "COUNT bounds each step")
    }

    @Test func scanFiltersAfterChoosingAndNeverSplitsAPosition() {
        var replica = Replica()
        replica.apply(.putAll(pairs: (0..<50).map { KeyValuePair(key: "k\($0)", value: "") }, ifAllAbsent: false))
        var matched: [ByteString] = []
        var cursor: UInt64 = 0
        var steps = 0
        repeat {
            let step = replica.store.scan(from: cursor, count: 10, matching: KeyPattern("k1*"))
            #expect(step.keys.count <= 10)
            matched += step.keys
            cursor = step.cursor
            steps += 1
        } while cursor != 0 && steps < 100
        #expect(matched.sorted() == ["k1"] + (10...19).map { "k\($0)" })
        #expect(steps == 5)
        let empty = KVStore().scan(from: 0, count: 10, matching: nil)
        #expect(empty.cursor == 0 && empty.keys.isEmpty)
    }
}
