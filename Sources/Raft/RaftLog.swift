import SynodCore

/// The Replicated Log as a Raft server holds it in memory: entries in index order,
/// starting right after `baseIndex` (0 until log compaction moves it).
public struct RaftLog: Sendable, Equatable {
    public private(set) var baseIndex: LogIndex
    public private(set) var baseTerm: Term
    public private(set) var entries: [LogEntry]

    public init(baseIndex: LogIndex = .zero, baseTerm: Term = .zero, entries: [LogEntry] = []) {
        self.baseIndex = baseIndex
        self.baseTerm = baseTerm
        self.entries = entries
    }

    public var lastIndex: LogIndex { LogIndex(baseIndex.rawValue + UInt64(entries.count)) }

    public var lastTerm: Term { entries.last?.term ?? baseTerm }

    /// The term of the entry at `index`, or nil when the log does not hold it.
    @inline(__always)
    public func term(at index: LogIndex) -> Term? {
        if index == baseIndex { return baseTerm }
        if index < baseIndex || index > lastIndex { return nil }
        return entries[Int(index.rawValue - baseIndex.rawValue) - 1].term
    }

    public func entry(at index: LogIndex) -> LogEntry? {
        if index <= baseIndex || index > lastIndex { return nil }
        return entries[Int(index.rawValue - baseIndex.rawValue) - 1]
    }

    /// Entries from `index` on, at most `limit` of them.
    public func entries(from index: LogIndex, limit: Int = .max) -> ArraySlice<LogEntry> {
        if index > lastIndex { return [] }
        precondition(index > baseIndex, "entries below the base index were compacted away")
        let start = Int(index.rawValue - baseIndex.rawValue) - 1
        let end = limit >= entries.count - start ? entries.count : start + limit
        return entries[start..<end]
    }

    /// The first index holding `term`, scanning back from `index` (for fast back-off).
    public func firstIndex(ofTermAt index: LogIndex) -> LogIndex {
        guard let term = term(at: index) else { return index }
        var first = index
        while first > baseIndex.advanced(by: 1), self.term(at: first.advanced(by: -1)) == term {
            first = first.advanced(by: -1)
        }
        return first
    }

    /// The last index holding `term`, or nil when the log has no entry of that term.
    public func lastIndex(of term: Term) -> LogIndex? {
        var index = lastIndex
        while index > baseIndex {
            let t = self.term(at: index)!
            if t == term { return index }
            if t < term { return nil }
            index = index.advanced(by: -1)
        }
        return nil
    }

    /// Whether a log ending at (`index`, `term`) is at least as up to date as this one
    /// (§5.4.1): a later last term wins; with equal terms the longer log wins.
    public func isUpToDate(lastIndex index: LogIndex, lastTerm term: Term) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    public mutating func append(_ entry: LogEntry) {
        precondition(entry.index == lastIndex.advanced(by: 1), "log entries must be contiguous")
        entries.append(entry)
    }

    /// Log compaction: drops every entry up to `index`, which a snapshot now stands in
    /// for. The log keeps that entry's term so it can still be matched there.
    public mutating func compact(through index: LogIndex) {
        guard index > baseIndex else { return }
        precondition(index <= lastIndex, "cannot compact past the end of the log")
        let term = term(at: index)!
        entries.removeFirst(Int(index.rawValue - baseIndex.rawValue))
        baseIndex = index
        baseTerm = term
    }

    /// Replaces the whole log by a snapshot ending at (`index`, `term`): nothing follows it.
    public mutating func reset(toSnapshotAt index: LogIndex, term: Term) {
        baseIndex = index
        baseTerm = term
        entries.removeAll()
    }

    /// Removes the entry at `index` and every later one.
    public mutating func truncate(from index: LogIndex) {
        precondition(index > baseIndex, "cannot truncate compacted entries")
        if index > lastIndex { return }
        entries.removeSubrange((Int(index.rawValue - baseIndex.rawValue) - 1)...)
    }
}
