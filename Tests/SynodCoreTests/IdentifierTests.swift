import SynodCore
import Testing

@Suite struct IdentifierTests {
    @Test func termsOnlyGrow() {
        let term: Term = 4
        #expect(term.next == 5)
        #expect(term < term.next)
        #expect(Term.zero.next == 1)
        #expect(Term.zero == 0)
        #expect(term.description == "4")
    }

    @Test func logIndexesStrideAndStartAfterZero() {
        let index: LogIndex = 3
        #expect(index.advanced(by: 2) == 5)
        #expect(index.advanced(by: -3) == .zero)
        #expect(index.distance(to: 7) == 4)
        #expect(LogIndex(7).distance(to: index) == -4)
        #expect(Array(LogIndex(1)...LogIndex(3)) == [1, 2, 3])
        #expect((LogIndex(1)..<LogIndex(1)).isEmpty)
        #expect([LogIndex(5), 2, 9].sorted() == [2, 5, 9])
        #expect(index.description == "3")
    }

    @Test func nodeIDsSortByNumberAndPrintWithAnN() {
        #expect([NodeID(10), 2, 1].sorted() == [1, 2, 10])
        #expect(NodeID(3).description == "n3")
    }

    @Test func persistIDsCountWrites() {
        #expect(PersistID.none.next == PersistID(1))
        #expect(PersistID(1) < PersistID(2))
        #expect(PersistID(4).description == "w4")
    }

    @Test func logEntriesDescribeThemselves() {
        #expect(LogEntry.noop(term: 2, index: 5).description == "5@2:noop")
        #expect(LogEntry(term: 1, index: 3, data: [1, 2]).description == "3@1:2B")
        #expect(LogEntry.noop(term: 2, index: 5).data.isEmpty)
        #expect(LogEntry(term: 1, index: 1).kind == .command)
    }
}
