import Raft
import SynodCore
import Testing

/// The in-memory Replicated Log: positions, terms, and the §5.4.1 comparison.
@Suite struct RaftLogTests {
    @Test func emptyLogEndsAtZero() {
        let log = RaftLog()
        #expect(log.lastIndex == 0)
        #expect(log.lastTerm == 0)
        #expect(log.term(at: 0) == 0)
        #expect(log.term(at: 1) == nil)
        #expect(log.entry(at: 0) == nil)
        #expect(log.entries(from: 1).isEmpty)
    }

    @Test func termsAndEntriesByIndex() {
        let log = RaftLog(entries: entries(1, 1, 2, 3))
        #expect(log.lastIndex == 4)
        #expect(log.lastTerm == 3)
        #expect(log.term(at: 3) == 2)
        #expect(log.term(at: 5) == nil)
        #expect(log.entry(at: 2) == entry(2, term: 1))
        #expect(Array(log.entries(from: 2, limit: 2)) == [entry(2, term: 1), entry(3, term: 2)])
        #expect(Array(log.entries(from: 3)) == [entry(3, term: 2), entry(4, term: 3)])
        #expect(log.entries(from: 5).isEmpty)
    }

    @Test func firstAndLastIndexOfATerm() {
        let log = RaftLog(entries: entries(1, 2, 2, 2, 4, 4))
        #expect(log.firstIndex(ofTermAt: 4) == 2)
        #expect(log.firstIndex(ofTermAt: 1) == 1)
        #expect(log.firstIndex(ofTermAt: 6) == 5)
        #expect(log.lastIndex(of: 2) == 4)
        #expect(log.lastIndex(of: 4) == 6)
        #expect(log.lastIndex(of: 3) == nil)
        #expect(log.lastIndex(of: 5) == nil)
    }

    @Test func aCompactedLogKnowsItsBaseAndNothingBelow() {
        let log = RaftLog(baseIndex: 5, baseTerm: 2, entries: [entry(6, term: 2), entry(7, term: 3)])
        #expect(log.lastIndex == 7)
        #expect(log.term(at: 5) == 2)
        #expect(log.term(at: 4) == nil)
        #expect(log.entry(at: 5) == nil)
        #expect(log.entry(at: 6) == entry(6, term: 2))
        #expect(log.firstIndex(ofTermAt: 7) == 7)
        #expect(log.lastIndex(of: 2) == 6)
        #expect(RaftLog(baseIndex: 5, baseTerm: 2).lastTerm == 2)
    }

    @Test func upToDateComparesLastTermFirstThenLength() {
        let log = RaftLog(entries: entries(1, 2, 2))
        #expect(log.isUpToDate(lastIndex: 3, lastTerm: 2))
        #expect(log.isUpToDate(lastIndex: 4, lastTerm: 2))
        #expect(log.isUpToDate(lastIndex: 1, lastTerm: 3))
        #expect(!log.isUpToDate(lastIndex: 2, lastTerm: 2))
        #expect(!log.isUpToDate(lastIndex: 9, lastTerm: 1))
    }

    @Test func truncateDropsTheSuffixAndAppendContinuesIt() {
        var log = RaftLog(entries: entries(1, 1, 2))
        log.truncate(from: 2)
        #expect(log.terms == [1])
        log.truncate(from: 5)
        #expect(log.terms == [1])
        log.append(entry(2, term: 3))
        #expect(log.terms == [1, 3])
        #expect(log.lastTerm == 3)
    }
}
