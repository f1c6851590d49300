import Checker
import SynodCore
import Testing

/// The invariant checker on hand-made sequences: each invariant fires on the
/// situation it names and stays quiet on a correct one.
@Suite struct InvariantCheckerTests {
    static let members: [NodeID] = [1, 2, 3]

    static func entries(_ terms: UInt64...) -> [LogEntry] {
        terms.enumerated().map { LogEntry(term: Term($0.element), index: LogIndex(UInt64($0.offset) + 1)) }
    }

    @Test func twoLeadersInOneTermBreakElectionSafety() {
        var checker = InvariantChecker(members: Self.members)
        #expect(checker.becameLeader(1, term: 2) == nil)
        #expect(checker.becameLeader(2, term: 2)?.invariant == "election-safety")
    }

    @Test func sameIndexAndTermWithDifferentPrefixesBreakLogMatching() {
        var checker = InvariantChecker(members: Self.members)
        #expect(checker.logChanged(1, truncateFrom: nil, entries: Self.entries(1, 2)) == nil)
        var other = Self.entries(1, 2)
        other[0].data = [9]
        #expect(checker.logChanged(2, truncateFrom: nil, entries: other)?.invariant == "log-matching")
    }

    @Test func removingACommittedEntryBreaksStateMachineSafety() {
        var checker = InvariantChecker(members: Self.members)
        let log = Self.entries(1, 1)
        for node in Self.members {
            _ = checker.logChanged(node, truncateFrom: nil, entries: log)
            _ = checker.diskChanged(node, truncateFrom: nil, entries: log)
        }
        #expect(checker.commitAdvanced(1, term: 1, to: 2, log: { log[Int($0.rawValue) - 1] }) == nil)
        let failure = checker.logChanged(1, truncateFrom: 2, entries: [LogEntry(term: 2, index: 2)])
        #expect(failure?.invariant == "state-machine-safety")
    }

    @Test func aCommitThatIsNotOnAMajorityOfDisksBreaksDurability() {
        var checker = InvariantChecker(members: Self.members)
        let log = Self.entries(1)
        for node in Self.members { _ = checker.logChanged(node, truncateFrom: nil, entries: log) }
        _ = checker.diskChanged(1, truncateFrom: nil, entries: log)
        let failure = checker.commitAdvanced(1, term: 1, to: 1, log: { log[Int($0.rawValue) - 1] })
        #expect(failure?.invariant == "durability")
    }

    @Test func aNewLeaderWithoutACommittedEntryBreaksLeaderCompleteness() {
        var checker = InvariantChecker(members: Self.members)
        let log = Self.entries(1)
        for node: NodeID in [1, 2] {
            _ = checker.logChanged(node, truncateFrom: nil, entries: log)
            _ = checker.diskChanged(node, truncateFrom: nil, entries: log)
        }
        #expect(checker.commitAdvanced(1, term: 1, to: 1, log: { log[Int($0.rawValue) - 1] }) == nil)
        #expect(checker.becameLeader(3, term: 2)?.invariant == "leader-completeness")
        #expect(checker.becameLeader(2, term: 3) == nil)
    }

    @Test func committingWhileALaggingServerCouldStillWinIsCaughtAtOnce() {
        // Figure 8: server 3 holds a later term's entry at index 1; committing 1@1 on
        // servers 1 and 2 leaves 3 electable (its last term is higher).
        var checker = InvariantChecker(members: Self.members)
        let old = Self.entries(1)
        for node: NodeID in [1, 2] {
            _ = checker.logChanged(node, truncateFrom: nil, entries: old)
            _ = checker.diskChanged(node, truncateFrom: nil, entries: old)
        }
        _ = checker.logChanged(3, truncateFrom: nil, entries: Self.entries(2))
        let failure = checker.commitAdvanced(1, term: 3, to: 1, log: { old[Int($0.rawValue) - 1] })
        #expect(failure?.invariant == "leader-completeness")
    }
}
