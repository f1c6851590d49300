import HeapModule
import SynodCore

/// The discrete-event loop's queue, one type for every simulated run (the cluster, the
/// single-decree harness, the time scenarios): events ordered by (time, sequence), so
/// that events at one instant run in the order they were scheduled and a run never
/// depends on a tie.
public struct EventQueue<Kind: Sendable>: Sendable {
    public struct Entry: Comparable, Sendable {
        public var time: Instant
        var sequence: UInt64
        public var kind: Kind

        public static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.time < rhs.time || (lhs.time == rhs.time && lhs.sequence < rhs.sequence)
        }

        public static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
    }

    private var heap = Heap<Entry>()
    private var sequence: UInt64 = 0

    public init() {}

    /// Schedules `kind` at `time`, after everything already scheduled for that instant.
    public mutating func schedule(at time: Instant, _ kind: Kind) {
        sequence += 1
        heap.insert(Entry(time: time, sequence: sequence, kind: kind))
    }

    /// The earliest event, taken out of the queue.
    public mutating func next() -> Entry? { heap.popMin() }

    /// Puts back an event taken with `next()` that a run stopped before: it keeps its place.
    public mutating func putBack(_ entry: Entry) { heap.insert(entry) }
}
