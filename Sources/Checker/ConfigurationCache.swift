/// Lowe's memoization for the linearizability search: the configurations already
/// visited, each a set of linearized operations and the model state they leave.
///
/// Two refinements keep it small and make it prune more than exact matches:
///
/// - the definite (non-`info`) operations of a set are stored as a prefix length plus
///   the bitset words past it: every operation called before the first unlinearized one
///   is linearized, and the others are concurrent with it, so a few words suffice even
///   when a key has tens of thousands of operations;
/// - a configuration is *dominated* by a visited one with the same definite operations
///   and state whose `info` operations are a subset of its own. An `info` operation
///   need never take effect, and constrains nothing (its return is unbounded), so every
///   completion of the larger set also completes the smaller one: if that one was
///   explored, this one need not be.
///
/// Buckets are found by a Zobrist hash of the definite set (maintained incrementally by
/// the search) mixed with the state; nothing depends on iteration order.
struct ConfigurationCache {
    private struct Entry {
        var hash: UInt64
        var state: Int32
        var prefix: Int32
        var tailCount: Int32
        /// First stored word of the definite bitset (`prefix / 64`) in `words`, and how many.
        var wordStart: Int32
        var wordCount: Int32
        /// Start of the info bitset in `infoWords`, or -1 when no info operation is linearized.
        var infoStart: Int32
        var next: Int32
    }

    private var entries: [Entry] = []
    private var buckets: [Int32]
    private var mask: Int
    private var words: [UInt64] = []
    private var infoWords: [UInt64] = []
    private let infoWordCount: Int

    init(infoWordCount: Int) {
        self.infoWordCount = infoWordCount
        buckets = Array(repeating: -1, count: 1024)
        mask = 1023
    }

    /// Configurations stored so far.
    var count: Int { entries.count }

    /// Memory held by the cache, in bytes (approximate).
    var footprint: Int {
        entries.capacity * MemoryLayout<Entry>.stride + buckets.capacity * 4 + words.capacity * 8
            + infoWords.capacity * 8
    }

    /// Records the configuration and returns true, or returns false when it (or one that
    /// dominates it) was visited before.
    ///
    /// - Parameters:
    ///   - hash: Zobrist hash of the definite set.
    ///   - prefix: every definite operation below this index is linearized, this one is not.
    ///   - tailCount: how many definite operations above `prefix` are linearized.
    ///   - definite: the definite set as a bitset.
    ///   - info: the linearized `info` operations as a bitset, and whether it is empty.
    mutating func insert(
        hash: UInt64, state: Int32, prefix: Int, tailCount: Int, definite: [UInt64], info: [UInt64], infoIsEmpty: Bool
    ) -> Bool {
        let mixed = Self.mix(hash ^ (UInt64(UInt32(bitPattern: state)) &* 0x9E37_79B9_7F4A_7C15))
        let bucket = Int(truncatingIfNeeded: mixed) & mask
        var index = buckets[bucket]
        while index >= 0 {
            let entry = entries[Int(index)]
            if entry.hash == mixed, entry.state == state, entry.prefix == prefix, entry.tailCount == tailCount,
                sameTail(entry, definite), infoIsSubset(entry, of: info)
            {
                return false
            }
            index = entry.next
        }

        var wordStart = Int32(words.count)
        var wordCount: Int32 = 0
        if tailCount > 0 {
            // Store the words from the prefix's word up to the one holding the last linearized op.
            let first = prefix >> 6
            var remaining = tailCount
            var word = first
            var bits = definite[word] & (~UInt64(0) << UInt64(prefix & 63))
            while true {
                remaining -= bits.nonzeroBitCount
                if remaining <= 0 { break }
                word += 1
                bits = definite[word]
            }
            wordStart = Int32(words.count)
            wordCount = Int32(word - first + 1)
            words.append(contentsOf: definite[first...word])
        }
        var infoStart: Int32 = -1
        if !infoIsEmpty {
            infoStart = Int32(infoWords.count)
            infoWords.append(contentsOf: info)
        }
        entries.append(
            Entry(
                hash: mixed, state: state, prefix: Int32(prefix), tailCount: Int32(tailCount), wordStart: wordStart,
                wordCount: wordCount, infoStart: infoStart, next: buckets[bucket]))
        buckets[bucket] = Int32(entries.count - 1)
        if entries.count > buckets.count { grow() }
        return true
    }

    /// Same prefix and tail count given: the stored words equal the current ones.
    private func sameTail(_ entry: Entry, _ definite: [UInt64]) -> Bool {
        let first = Int(entry.prefix) >> 6
        let start = Int(entry.wordStart)
        for offset in 0..<Int(entry.wordCount) where words[start + offset] != definite[first + offset] {
            return false
        }
        return true
    }

    private func infoIsSubset(_ entry: Entry, of info: [UInt64]) -> Bool {
        guard entry.infoStart >= 0 else { return true }
        let start = Int(entry.infoStart)
        for offset in 0..<infoWordCount where infoWords[start + offset] & ~info[offset] != 0 {
            return false
        }
        return true
    }

    private mutating func grow() {
        let capacity = buckets.count * 2
        buckets = Array(repeating: -1, count: capacity)
        mask = capacity - 1
        for index in entries.indices {
            let bucket = Int(truncatingIfNeeded: entries[index].hash) & mask
            entries[index].next = buckets[bucket]
            buckets[bucket] = Int32(index)
        }
    }

    /// SplitMix64's finalizer: spreads every input bit over the whole word.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
