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
        #expect(replica.apply(.append(key: "x", suffix: "!")) == .integer(2))  // 5
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
        #expect(replica.apply(.append(key: "x", suffix: "ab")) == .integer(2))
        #expect(replica.store.read("x") == ("ab", 1))
        #expect(
            replica.apply(.append(key: "x", suffix: "🙂")) == .integer(6),
            "the length is in UTF-8 bytes, as Redis counts")
        #expect(replica.store.read("x") == ("ab🙂", 2))
        #expect(replica.apply(.append(key: "x", suffix: "")) == .integer(6))
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
        #expect(KVCommand.increment(key: "i", by: 1).key == "i")
        #expect(KVCommand.putIf(key: "p", value: "v", exists: true).key == "p")
        #expect(KVCommand.remove(keys: ["r"]).key == "r")
        #expect(KVCommand.remove(keys: ["r", "s"]).key == nil)
        #expect(KVCommand.remove(keys: ["r", "s"]).keys == ["r", "s"])
        #expect(KVCommand.get(key: "g").keys == ["g"])
        #expect(KVCommand.openSession.key == nil)
        #expect(KVCommand.openSession.keys == [])
        #expect(KVCommand.remove(keys: []).isWrite && !KVCommand.get(key: "g").isWrite)
    }

    // MARK: Increment (INCR)

    @Test func incrementCountsAnAbsentKeyAsZeroAndStoresTheSumAsText() {
        var replica = Replica()
        #expect(replica.apply(.increment(key: "n", by: 1)) == .integer(1))
        #expect(replica.apply(.increment(key: "n", by: 41)) == .integer(42))
        #expect(replica.store.read("n") == ("42", 2))
        #expect(replica.apply(.increment(key: "n", by: -50)) == .integer(-8))
        #expect(replica.apply(.get(key: "n")) == .value("-8", version: 3))
    }

    @Test func incrementReadsAValueWrittenByPut() {
        var replica = Replica()
        replica.apply(.put(key: "n", value: "-9223372036854775807"))
        #expect(replica.apply(.increment(key: "n", by: -1)) == .integer(.min))
        #expect(replica.store.read("n") == ("-9223372036854775808", 2))
    }

    @Test(arguments: ["abc", "", "+1", "01", "-0", " 1", "1 ", "1.5", "9223372036854775808", "0x10", "١"])
    func incrementRefusesAValueThatIsNotACanonicalInteger(text: String) {
        let value = ByteString(text)
        var replica = Replica()
        replica.apply(.put(key: "n", value: value))
        #expect(replica.apply(.increment(key: "n", by: 1)) == .failed(.notAnInteger))
        #expect(replica.store.read("n") == (value, 1), "a refused increment changes nothing, not even the version")
    }

    @Test func incrementRefusesOverflowInBothDirections() {
        var replica = Replica()
        replica.apply(.put(key: "max", value: "\(Int64.max)"))
        replica.apply(.put(key: "min", value: "\(Int64.min)"))
        #expect(replica.apply(.increment(key: "max", by: 1)) == .failed(.overflow))
        #expect(replica.apply(.increment(key: "min", by: -1)) == .failed(.overflow))
        #expect(replica.apply(.increment(key: "absent", by: .min)) == .integer(.min))
        #expect(replica.store.read("max") == ("\(Int64.max)", 1))
        #expect(replica.store.read("min") == ("\(Int64.min)", 2))
    }

    // MARK: Conditional put (SET NX / SET XX)

    @Test func putIfAbsentWritesOnlyWhenTheKeyIsAbsent() {
        var replica = Replica()
        #expect(replica.apply(.putIf(key: "x", value: "a", exists: false)) == .applied(true))
        #expect(replica.apply(.putIf(key: "x", value: "b", exists: false)) == .applied(false))
        #expect(replica.store.read("x") == ("a", 1), "the refused put is not a write")
    }

    @Test func putIfPresentWritesOnlyWhenTheKeyExists() {
        var replica = Replica()
        #expect(replica.apply(.putIf(key: "x", value: "a", exists: true)) == .applied(false))
        #expect(replica.store.keyCount == 0)
        replica.apply(.put(key: "x", value: ""))
        #expect(replica.apply(.putIf(key: "x", value: "b", exists: true)) == .applied(true), "an empty value exists")
        #expect(replica.store.read("x") == ("b", 3))
    }

    // MARK: Remove (DEL)

    @Test func removeCountsTheKeysThatExisted() {
        var replica = Replica()
        replica.apply(.put(key: "a", value: "1"))
        replica.apply(.put(key: "b", value: "2"))
        replica.apply(.put(key: "c", value: "3"))
        #expect(replica.apply(.remove(keys: ["a", "zz", "b", "a"])) == .integer(2), "a key listed twice counts once")
        #expect(replica.store.keyCount == 1)
        #expect(replica.store.read("c") == ("3", 3))
        #expect(replica.apply(.remove(keys: ["a"])) == .integer(0))
        #expect(replica.apply(.remove(keys: [])) == .integer(0))
    }
}
