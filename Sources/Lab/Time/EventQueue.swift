import HeapModule
import SynodCore

/// The discrete-event loop of a time scenario: events ordered by (time, sequence), so
/// events at one instant run in the order they were scheduled and a run never depends
/// on a tie.
struct EventQueue<Kind: Sendable>: Sendable {
    struct Entry: Comparable, Sendable {
        var time: Instant
        var sequence: UInt64
        var kind: Kind

        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence) }
        static func == (lhs: Entry, rhs: Entry) -> Bool { (lhs.time, lhs.sequence) == (rhs.time, rhs.sequence) }
    }

    private var heap = Heap<Entry>()
    private var sequence: UInt64 = 0

    mutating func schedule(at time: Instant, _ kind: Kind) {
        sequence += 1
        heap.insert(Entry(time: time, sequence: sequence, kind: kind))
    }

    mutating func next() -> Entry? { heap.popMin() }
}
