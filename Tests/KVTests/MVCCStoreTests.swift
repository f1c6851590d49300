import KV
import SynodCore
import Testing

@Suite struct MVCCStoreTests {
    static func t(_ milliseconds: Int64) -> WallTime { WallTime(nanoseconds: milliseconds * 1_000_000) }

    static func history() -> MVCCStore<WallTime> {
        var store = MVCCStore<WallTime>()
        store.write("x", value: "1", at: t(10))
        store.write("x", value: "2", at: t(20))
        store.write("x", value: nil, at: t(30))
        store.write("x", value: "4", at: t(40))
        store.write("y", value: "a", at: t(15))
        return store
    }

    @Test func aReadSeesTheNewestVersionAtOrBelowItsTimestamp() throws {
        let store = Self.history()
        #expect(try store.read("x", at: Self.t(5)) == nil, "before the first write the key did not exist")
        #expect(try store.read("x", at: Self.t(10))?.value == "1")
        #expect(try store.read("x", at: Self.t(19))?.value == "1")
        #expect(try store.read("x", at: Self.t(25))?.value == "2")
        let deleted = try #require(try store.read("x", at: Self.t(35)))
        #expect(deleted.value == nil && deleted.timestamp == Self.t(30), "a tombstone")
        #expect(try store.read("x", at: Self.t(99))?.value == "4")
        #expect(try store.read("z", at: Self.t(99)) == nil)
        #expect(store.latest("x")?.value == "4")
    }

    @Test func aWriteBelowLaterVersionsIsSlottedInByTimestamp() throws {
        var store = Self.history()
        store.write("x", value: "1.5", at: Self.t(15))
        #expect(try store.read("x", at: Self.t(16))?.value == "1.5")
        #expect(store.latest("x")?.value == "4", "a late write with an old timestamp does not become the latest")
        store.write("x", value: "two", at: Self.t(20))
        #expect(store.versions(of: "x").map(\.timestamp) == [10, 15, 20, 30, 40].map(Self.t))
        #expect(try store.read("x", at: Self.t(20))?.value == "two", "same timestamp replaces")
    }

    @Test func versionsInAWindowAreThoseAReaderBelowItWouldMiss() {
        let store = Self.history()
        #expect(
            store.versions(of: "x", after: Self.t(10), through: Self.t(30)).map(\.timestamp) == [
                Self.t(20), Self.t(30),
            ])
        #expect(store.versions(of: "x", after: Self.t(40), through: Self.t(50)).isEmpty)
        #expect(store.versions(of: "x", after: Self.t(30), through: Self.t(30)).isEmpty)
    }

    @Test func garbageCollectionKeepsWhatReadsAtTheMarkCanSee() throws {
        var store = Self.history()
        let removed = store.collectGarbage(below: Self.t(25))
        #expect(removed == 1, "x@10 goes; x@20 is what a read at 25 sees")
        #expect(store.lowWaterMark == Self.t(25))
        #expect(try store.read("x", at: Self.t(25))?.value == "2")
        #expect(try store.read("y", at: Self.t(25))?.value == "a", "the only version stays")
        #expect(try store.read("x", at: Self.t(45))?.value == "4")
        #expect(throws: MVCCReadError.self) { try store.read("x", at: Self.t(24)) }
        #expect(store.collectGarbage(below: Self.t(20)) == 0, "the mark never moves down")
        #expect(store.lowWaterMark == Self.t(25))
    }

    @Test func garbageCollectionDropsATombstoneAndWhatItHid() throws {
        var store = Self.history()
        store.write("gone", value: "v", at: Self.t(1))
        store.write("gone", value: nil, at: Self.t(2))
        #expect(store.collectGarbage(below: Self.t(35)) == 5, "x@10, x@20, the x tombstone, both of gone")
        #expect(try store.read("x", at: Self.t(35)) == nil)
        #expect(try store.read("x", at: Self.t(40))?.value == "4")
        #expect(try store.read("gone", at: Self.t(50)) == nil)
        #expect(store.versionCount == 2)
    }

    /// Seed 11: against a model that keeps every version, reads at or above the mark
    /// agree after any number of collections.
    @Test func collectionNeverChangesAnAnswerAtOrAboveTheMark() throws {
        var random = SeededGenerator(seed: 11)
        var store = MVCCStore<HybridTimestamp>()
        var model: [String: [(HybridTimestamp, String?)]] = [:]
        var mark = HybridTimestamp.zero
        for step in 1...3_000 {
            let key = "k\(random.next(upperBound: 4 as UInt64))"
            let stamp = HybridTimestamp(
                wallTime: WallTime(nanoseconds: Int64(step) * 10 + Int64(random.next(upperBound: 30 as UInt64))))
            if stamp >= mark {
                let value: String? = random.chance(0.2) ? nil : "\(step)"
                store.write(key, value: value, at: stamp)
                model[key, default: []].removeAll { $0.0 == stamp }
                model[key, default: []].append((stamp, value))
            }
            if random.chance(0.05) {
                mark = HybridTimestamp(wallTime: WallTime(nanoseconds: Int64(step) * 10 - 50))
                store.collectGarbage(below: mark)
            }
            let at = HybridTimestamp(
                wallTime: WallTime(nanoseconds: Int64(step) * 10 - Int64(random.next(upperBound: 40 as UInt64))))
            guard at >= (store.lowWaterMark ?? .zero) else { continue }
            let expected = model[key, default: []].filter { $0.0 <= at }.max { $0.0 < $1.0 }?.1
            #expect(try store.read(key, at: at)?.value == expected)
        }
    }
}
