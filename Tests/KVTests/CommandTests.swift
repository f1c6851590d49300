import KV
import SynodCore
import Testing

/// What each command does to the keys and what it answers (Versioned Value).
@Suite struct CommandTests {
    @Test func putThenGetReturnsTheValueAndTheIndexOfItsWrite() {
        var replica = Replica()
        #expect(replica.apply(.put(key: "x", value: "5")) == .done)
        #expect(replica.apply(.get(key: "x")) == .value("5", version: 1))
        #expect(replica.store.read("x") == ("5", 1))
        #expect(replica.store.keyCount == 1)
    }

    @Test func anAbsentKeyReadsAsNilWithNoVersion() {
        var replica = Replica()
        #expect(replica.apply(.get(key: "x")) == .value(nil, version: nil))
        #expect(replica.store.read("x") == (nil, nil))
        #expect(replica.store.keyCount == 0)
    }

    @Test func versionsAdvanceOnlyOnWrites() {
        var replica = Replica()
        replica.apply(.put(key: "x", value: "a"))  // 1
        replica.apply(.get(key: "x"))  // 2
        #expect(replica.apply(.cas(key: "x", from: "zzz", to: "b")) == .cas(succeeded: false, current: "a"))  // 3
        replica.apply(.delete(key: "other"))  // 4
        #expect(replica.store.read("x") == ("a", 1), "a read, a failed cas and another key's delete are not writes")
        replica.apply(.append(key: "x", suffix: "!"))  // 5
        #expect(replica.store.read("x") == ("a!", 5))
        replica.apply(.cas(key: "x", from: "a!", to: "a!"))  // 6
        #expect(replica.store.read("x") == ("a!", 6), "a successful cas writes, even the same value")
        replica.apply(.put(key: "x", value: "c"))  // 7
        #expect(replica.apply(.get(key: "x")) == .value("c", version: 7))
    }

    @Test func deleteRemovesTheKeyAndItsVersion() {
        var replica = Replica()
        replica.apply(.put(key: "x", value: "a"))
        replica.apply(.put(key: "y", value: "b"))
        #expect(replica.apply(.delete(key: "x")) == .done)
        #expect(replica.store.read("x") == (nil, nil))
        #expect(replica.store.keyCount == 1)
        #expect(replica.apply(.delete(key: "x")) == .done, "deleting an absent key succeeds")
        #expect(replica.store.keyCount == 1)
        #expect(replica.store.read("y") == ("b", 2))
    }

    @Test func casFromAbsentCreatesOnlyWhenTheKeyIsAbsent() {
        var replica = Replica()
        #expect(replica.apply(.cas(key: "x", from: nil, to: "a")) == .cas(succeeded: true, current: "a"))
        #expect(replica.store.read("x") == ("a", 1))
        #expect(replica.apply(.cas(key: "x", from: nil, to: "b")) == .cas(succeeded: false, current: "a"))
        #expect(replica.store.read("x") == ("a", 1))
    }

    @Test func casOnAPresentKeyComparesItsValue() {
        var replica = Replica()
        replica.apply(.put(key: "x", value: "a"))
        #expect(replica.apply(.cas(key: "x", from: "a", to: "b")) == .cas(succeeded: true, current: "b"))
        #expect(replica.apply(.cas(key: "x", from: "a", to: "c")) == .cas(succeeded: false, current: "b"))
        #expect(replica.store.read("x") == ("b", 2))
        #expect(replica.apply(.cas(key: "y", from: "a", to: "c")) == .cas(succeeded: false, current: nil))
        #expect(replica.store.read("y") == (nil, nil), "a failed cas on an absent key creates nothing")
    }

    @Test func casToNilDeletes() {
        var replica = Replica()
        replica.apply(.put(key: "x", value: "a"))
        #expect(replica.apply(.cas(key: "x", from: "b", to: nil)) == .cas(succeeded: false, current: "a"))
        #expect(replica.store.keyCount == 1)
        #expect(replica.apply(.cas(key: "x", from: "a", to: nil)) == .cas(succeeded: true, current: nil))
        #expect(replica.store.read("x") == (nil, nil))
        #expect(replica.store.keyCount == 0)
    }

    @Test func casFromNilToNilSucceedsOnAnAbsentKeyAndCreatesNothing() {
        var replica = Replica()
        #expect(replica.apply(.cas(key: "x", from: nil, to: nil)) == .cas(succeeded: true, current: nil))
        #expect(replica.store.keyCount == 0)
    }

    @Test func appendToAnAbsentKeyStartsFromEmpty() {
        var replica = Replica()
        #expect(replica.apply(.append(key: "x", suffix: "ab")) == .done)
        #expect(replica.store.read("x") == ("ab", 1))
        replica.apply(.append(key: "x", suffix: "🙂"))
        #expect(replica.store.read("x") == ("ab🙂", 2))
        replica.apply(.append(key: "x", suffix: ""))
        #expect(replica.store.read("x") == ("ab🙂", 3), "an empty append is still a write")
    }

    @Test func appliedIndexFollowsEveryEntryIncludingNoops() {
        var replica = Replica()
        #expect(replica.store.appliedIndex == 0)
        replica.apply(.put(key: "x", value: "a"))
        replica.noop()
        replica.apply(.get(key: "x"))
        #expect(replica.store.appliedIndex == 3)
        #expect(replica.store.read("x") == ("a", 1))
    }

    @Test func requestsOutsideASessionAreAppliedEveryTime() {
        var replica = Replica()
        replica.apply(.append(key: "x", suffix: "a"), session: 0, sequence: 1)
        replica.apply(.append(key: "x", suffix: "a"), session: 0, sequence: 1)
        #expect(replica.store.read("x").value == "aa", "without a session a retry is a new write")
    }

    @Test func theKeyOfACommand() {
        #expect(KVCommand.cas(key: "k", from: nil, to: "v").key == "k")
        #expect(KVCommand.append(key: "j", suffix: "s").key == "j")
        #expect(KVCommand.openSession.key == nil)
    }
}
