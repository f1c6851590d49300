import SynodCore

/// The Replicated Log as one Multi-Paxos server sees it: per slot, the last value it
/// accepted as an acceptor (and in which ballot), and the chosen value once it learned
/// it. Unlike Raft's log it may have gaps: a leader pipelines slots, and an acceptor
/// that missed some still accepts later ones.
public struct SlotLog: Sendable {
    public struct Slot: Sendable, Equatable {
        /// The ballot of `accepted`; `.zero` when nothing was accepted.
        public var ballot: Ballot = .zero
        public var accepted: LogEntry?
        public var chosen: LogEntry?
    }

    /// Slot `i` lives at position `i - 1`.
    var slots: [Slot] = []

    public init() {}

    /// The highest slot this server accepted or learned anything for.
    public var lastSlot: LogIndex { LogIndex(UInt64(slots.count)) }

    public subscript(slot: LogIndex) -> Slot {
        guard slot.rawValue >= 1, slot.rawValue <= UInt64(slots.count) else { return Slot() }
        return slots[Int(slot.rawValue) - 1]
    }

    /// Records an acceptance (it must also be written to disk).
    mutating func accept(_ entry: LogEntry, in ballot: Ballot) {
        grow(to: entry.index)
        let position = Int(entry.index.rawValue) - 1
        slots[position].ballot = ballot
        slots[position].accepted = entry
    }

    /// Records a value known chosen.
    mutating func choose(_ entry: LogEntry) {
        grow(to: entry.index)
        slots[Int(entry.index.rawValue) - 1].chosen = entry
    }

    mutating func grow(to slot: LogIndex) {
        let count = Int(slot.rawValue)
        if slots.count < count { slots.append(contentsOf: repeatElement(Slot(), count: count - slots.count)) }
    }

    /// The accepted values from `slot` on, in slot order.
    func accepted(from slot: LogIndex) -> [AcceptedSlot] {
        var result: [AcceptedSlot] = []
        var position = Self.position(of: slot, within: slots.count)
        while position < slots.count {
            if let entry = slots[position].accepted {
                result.append(AcceptedSlot(ballot: slots[position].ballot, entry: entry))
            }
            position += 1
        }
        return result
    }

    /// The chosen values from `slot` on, in slot order, at most `limit` of them.
    func chosen(from slot: LogIndex, limit: Int = .max) -> [LogEntry] {
        var result: [LogEntry] = []
        var position = Self.position(of: slot, within: slots.count)
        while position < slots.count, result.count < limit {
            if let entry = slots[position].chosen { result.append(entry) }
            position += 1
        }
        return result
    }

    /// Where a scan from `slot` starts: slot 0 as slot 1, and a slot past the end (a
    /// peer may name any) at the end, without converting it to `Int`.
    static func position(of slot: LogIndex, within count: Int) -> Int {
        slot.rawValue > UInt64(count) ? count : max(0, Int(slot.rawValue) - 1)
    }
}
