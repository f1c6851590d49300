/// Versioned Value with multi-version concurrency control: every write of a key is kept
/// as a version stamped with its timestamp, so a reader at timestamp `t` sees the store
/// as it was at `t` (the newest version at or below `t`), however many writes came
/// later. Versions below the Low-Water Mark are garbage-collected, except the newest
/// one at or below it, so reads at the mark and above keep their answers.
///
/// Generic over the timestamp: TrueTime-style stores stamp `WallTime`, CockroachDB-style
/// ones `HybridTimestamp`. (The replicated `KVStore` keeps its own, simpler versioned
/// values, stamped with log indexes.)
///
/// ```swift
/// var store = MVCCStore<WallTime>()
/// store.write("x", value: "1", at: t1)
/// store.write("x", value: "2", at: t2)
/// try store.read("x", at: t1)?.value   // "1"
/// ```
public struct MVCCStore<Timestamp: Comparable & Sendable>: Sendable {
    /// One version of a key's value; a nil value is a deletion (a tombstone).
    public struct Version: Sendable {
        public var value: String?
        public var timestamp: Timestamp
    }

    /// Reads below this timestamp are refused: their versions may be gone. Nil until the
    /// first collection.
    public private(set) var lowWaterMark: Timestamp?
    /// Each key's versions in increasing timestamp order.
    private var versions: [String: [Version]] = [:]

    public init() {}

    /// Versions held, over all keys.
    public var versionCount: Int { versions.values.reduce(0) { $0 + $1.count } }

    /// Records `value` (nil: a deletion) for `key` as of `timestamp`. A version already at
    /// that timestamp is replaced; a write below the low-water mark is refused, since
    /// reads there are no longer answerable.
    ///
    /// - Complexity: O(log v + k) for v versions of the key, k of them later than `timestamp`.
    public mutating func write(_ key: String, value: String?, at timestamp: Timestamp) {
        precondition(lowWaterMark.map { timestamp >= $0 } ?? true, "a write below the low-water mark")
        var list = versions[key, default: []]
        let position = Self.firstIndex(in: list, after: timestamp)
        if position > 0, list[position - 1].timestamp == timestamp {
            list[position - 1].value = value
        } else {
            list.insert(Version(value: value, timestamp: timestamp), at: position)
        }
        versions[key] = list
    }

    /// The newest version of `key` at or below `timestamp`; nil when there is none (the
    /// key did not exist then). A tombstone is returned as a version with a nil value.
    ///
    /// - Throws: `MVCCReadError` when `timestamp` is below the low-water mark.
    /// - Complexity: O(log v).
    public func read(_ key: String, at timestamp: Timestamp) throws(MVCCReadError) -> Version? {
        if let lowWaterMark, timestamp < lowWaterMark { throw MVCCReadError() }
        guard let list = versions[key] else { return nil }
        let position = Self.firstIndex(in: list, after: timestamp)
        return position > 0 ? list[position - 1] : nil
    }

    /// The newest version of `key`, whatever its timestamp.
    public func latest(_ key: String) -> Version? { versions[key]?.last }

    /// Every version of `key`, oldest first.
    public func versions(of key: String) -> [Version] { versions[key] ?? [] }

    /// The versions of `key` with timestamps in `lower<..upper` (after `lower`, up to and
    /// including `upper`), oldest first: what a reader at `lower` would miss.
    public func versions(of key: String, after lower: Timestamp, through upper: Timestamp) -> [Version] {
        guard let list = versions[key], lower < upper else { return [] }
        return Array(list[Self.firstIndex(in: list, after: lower)..<Self.firstIndex(in: list, after: upper)])
    }

    /// Moves the low-water mark up to `mark` and drops every version no read at or above
    /// it can see: for each key, all versions older than its newest one at or below the
    /// mark. A tombstone at or below the mark goes too (a read then finds no version,
    /// which means the same). Returns how many versions went.
    ///
    /// - Complexity: O(n) for n versions in all.
    @discardableResult
    public mutating func collectGarbage(below mark: Timestamp) -> Int {
        if let lowWaterMark, mark <= lowWaterMark { return 0 }
        lowWaterMark = mark
        var removed = 0
        for key in Array(versions.keys) {
            let list = versions[key]!
            let visible = Self.firstIndex(in: list, after: mark)  // versions[..<visible] are at or below the mark
            guard visible > 0 else { continue }
            var keepFrom = visible - 1
            if list[keepFrom].value == nil { keepFrom += 1 }
            guard keepFrom > 0 else { continue }
            removed += keepFrom
            versions[key] = keepFrom == list.count ? nil : Array(list[keepFrom...])
        }
        return removed
    }

    /// The index of the first version later than `timestamp` (binary search).
    private static func firstIndex(in list: [Version], after timestamp: Timestamp) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].timestamp <= timestamp { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// A read asked for a timestamp below the low-water mark, whose versions may have been
/// collected: answering would risk a wrong value, so the read must move up.
public struct MVCCReadError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String { "read below the low-water mark" }
}
