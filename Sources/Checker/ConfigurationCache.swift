/// Lowe's memoization for the linearizability search: the configurations already
/// visited, each a set of linearized operations and the model state they leave.
///
/// Three refinements keep it small and make it prune more than exact matches:
///
/// - the definite (non-`info`) operations of a set are stored as a prefix length plus
///   the bits past it: every operation called before the first unlinearized one is
///   linearized, and the others are concurrent with it, so one inline word almost always
///   suffices even when a key has tens of thousands of operations;
/// - sets of `info` operations are interned: they change rarely, so an entry holds a
///   small id;
/// - a configuration is *dominated* by a visited one with the same definite operations
///   and state whose `info` operations are a subset of its own. An `info` operation
///   need never take effect, and constrains nothing (its return is unbounded), so every
///   completion of the larger set also completes the smaller one: if that one was
///   explored, this one need not be.
///
/// Buckets are found by a Zobrist hash of the definite set (maintained incrementally by
/// the search) mixed with the state; entries keep 32 bits of it. Entries live in fixed-size chunks, so the cache
/// never copies itself to grow. Nothing depends on iteration order.
struct ConfigurationCache {
    /// 32 bytes.
    private struct Entry {
        /// The linearized definite operations `prefix + 1 ... prefix + 64`, bit 0 first.
        var near: UInt64
        var hash: UInt32
        var state: Int32
        var prefix: Int32
        var infoSet: Int32
        /// Start in `far` of the bits past `prefix + 64` (a word count, then the words), or -1.
        var farStart: Int32
        var next: Int32
    }

    private static let chunkBits = 15
    private var chunks: [[Entry]] = []
    private(set) var count = 0
    private var buckets: [Int32]
    private var mask: Int
    private var far: [UInt64] = []
    /// Interned info sets: `infoWords[id * infoWordCount ..< (id + 1) * infoWordCount]`; id 0 is empty.
    private var infoWords: [UInt64]
    private var infoIds: [[UInt64]: Int32] = [:]
    private let infoWordCount: Int

    init(infoWordCount: Int) {
        self.infoWordCount = infoWordCount
        infoWords = Array(repeating: 0, count: infoWordCount)
        buckets = Array(repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
    }

    /// The id of an info set (interning it if new); 0 for the empty set.
    mutating func infoSet(_ words: [UInt64]) -> Int32 {
        if words.allSatisfy({ $0 == 0 }) { return 0 }
        if let id = infoIds[words] { return id }
        let id = Int32(infoWords.count / max(1, infoWordCount))
        infoWords.append(contentsOf: words)
        infoIds[words] = id
        return id
    }

    /// Records the configuration and returns true, or returns false when it (or one that
    /// dominates it) was visited before.
    ///
    /// - Parameters:
    ///   - hash: Zobrist hash of the definite set.
    ///   - prefix: every definite operation below this index is linearized, this one is not.
    ///   - tailCount: how many definite operations above `prefix` are linearized.
    ///   - definite: the definite set as a bitset.
    ///   - infoSet: the id of the linearized info operations (see `infoSet(_:)`).
    mutating func insert(
        hash: UInt64, state: Int32, prefix: Int, tailCount: Int, definite: [UInt64], infoSet: Int32
    ) -> Bool {
        let mixed = Self.mix(hash ^ (UInt64(UInt32(bitPattern: state)) &* 0x9E37_79B9_7F4A_7C15))
        let shortHash = UInt32(truncatingIfNeeded: mixed >> 32)
        let near = Self.bits(definite, from: prefix + 1)
        let farCount = tailCount - near.nonzeroBitCount
        let bucket = Int(shortHash) & mask
        var index = buckets[bucket]
        while index >= 0 {
            let entry = self[index]
            if entry.hash == shortHash, entry.state == state, entry.prefix == prefix, entry.near == near,
                (entry.farStart < 0) == (farCount == 0), farCount == 0 || sameFar(entry, definite),
                isSubset(entry.infoSet, of: infoSet)
            {
                return false
            }
            index = entry.next
        }

        var farStart: Int32 = -1
        if farCount > 0 {
            farStart = Int32(far.count)
            far.append(0)
            var remaining = farCount
            var start = prefix + 65
            while remaining > 0 {
                let word = Self.bits(definite, from: start)
                far.append(word)
                remaining -= word.nonzeroBitCount
                start += 64
            }
            far[Int(farStart)] = UInt64(far.count - Int(farStart) - 1)
        }
        let entry = Entry(
            near: near, hash: shortHash, state: state, prefix: Int32(prefix), infoSet: infoSet, farStart: farStart,
            next: buckets[bucket])
        if count & ((1 << Self.chunkBits) - 1) == 0 {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(1 << Self.chunkBits)
        }
        chunks[chunks.count - 1].append(entry)
        buckets[bucket] = Int32(count)
        count += 1
        if count > buckets.count { grow() }
        return true
    }

    private subscript(index: Int32) -> Entry {
        chunks[Int(index) >> Self.chunkBits][Int(index) & ((1 << Self.chunkBits) - 1)]
    }

    /// 64 bits of `bitset` starting at bit `start` (zeros past its end).
    @inline(__always)
    private static func bits(_ bitset: [UInt64], from start: Int) -> UInt64 {
        let word = start >> 6
        guard word < bitset.count else { return 0 }
        let shift = UInt64(start & 63)
        var result = bitset[word] >> shift
        if shift > 0, word + 1 < bitset.count { result |= bitset[word + 1] << (64 - shift) }
        return result
    }

    /// Same prefix and near bits given: the stored far words equal the current ones.
    private func sameFar(_ entry: Entry, _ definite: [UInt64]) -> Bool {
        let start = Int(entry.farStart)
        let words = Int(far[start])
        for offset in 0..<words
        where far[start + 1 + offset] != Self.bits(definite, from: Int(entry.prefix) + 65 + 64 * offset) {
            return false
        }
        return true
    }

    private func isSubset(_ stored: Int32, of current: Int32) -> Bool {
        if stored == 0 || stored == current { return true }
        if current == 0 { return false }
        let storedStart = Int(stored) * infoWordCount
        let currentStart = Int(current) * infoWordCount
        for offset in 0..<infoWordCount where infoWords[storedStart + offset] & ~infoWords[currentStart + offset] != 0 {
            return false
        }
        return true
    }

    private mutating func grow() {
        let capacity = buckets.count * 2
        buckets = Array(repeating: -1, count: capacity)
        mask = capacity - 1
        var index: Int32 = 0
        for chunk in chunks.indices {
            for offset in chunks[chunk].indices {
                let bucket = Int(chunks[chunk][offset].hash) & mask
                chunks[chunk][offset].next = buckets[bucket]
                buckets[bucket] = index
                index += 1
            }
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
