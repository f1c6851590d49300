import Checker
import SynodCore
import Testing

@Suite struct ChosenValueCheckerTests {
    static let members = (1...5).map { NodeID($0) }

    static func value(_ text: String, slot: UInt64, stamp: UInt64) -> LogEntry {
        LogEntry(term: Term(stamp), index: LogIndex(slot), data: Array(text.utf8))
    }

    @Test func aSlotChosenTwiceWithDifferentValuesIsCaught() {
        var checker = ChosenValueChecker(members: Self.members, phase2: 3)
        let a = Self.value("a", slot: 1, stamp: 10)
        let b = Self.value("b", slot: 1, stamp: 20)
        for node in 1...3 { #expect(checker.accepted(NodeID(node), ballot: 10, entry: a) == nil) }
        for node in 3...4 { #expect(checker.accepted(NodeID(node), ballot: 20, entry: b) == nil) }
        #expect(checker.accepted(NodeID(5), ballot: 20, entry: b)?.invariant == "paxos-agreement")
    }

    @Test func twoValuesInOneBallotAreCaught() {
        var checker = ChosenValueChecker(members: Self.members, phase2: 3)
        #expect(checker.accepted(NodeID(1), ballot: 10, entry: Self.value("a", slot: 2, stamp: 10)) == nil)
        let second = checker.accepted(NodeID(2), ballot: 10, entry: Self.value("b", slot: 2, stamp: 10))
        #expect(second?.invariant == "ballot-uniqueness")
    }

    @Test func applyingAValueNoQuorumHoldsIsCaught() {
        var checker = ChosenValueChecker(members: Self.members, phase2: 3)
        let a = Self.value("a", slot: 1, stamp: 10)
        for node in 1...2 { _ = checker.accepted(NodeID(node), ballot: 10, entry: a) }
        #expect(checker.applied(NodeID(1), entries: [a])?.invariant == "state-machine-safety")
        _ = checker.accepted(NodeID(3), ballot: 10, entry: a)
        #expect(checker.applied(NodeID(1), entries: [a]) == nil)
        #expect(checker.commitIndex == LogIndex(1))
        #expect(checker.committedCommands == 1)
    }

    /// Re-proposed in a higher ballot, the same value is still one value.
    @Test func theSameValueInALaterBallotIsNoConflict() {
        var checker = ChosenValueChecker(members: Self.members, phase2: 3)
        let a = Self.value("a", slot: 1, stamp: 10)
        for node in 1...3 { _ = checker.accepted(NodeID(node), ballot: 10, entry: a) }
        for node in 3...5 { #expect(checker.accepted(NodeID(node), ballot: 30, entry: a) == nil) }
    }
}
