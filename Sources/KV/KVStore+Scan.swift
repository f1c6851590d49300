import SynodCore

extension KVStore {
    /// The keys that match `pattern`, sorted (KEYS).
    ///
    /// - Complexity: O(n log n) in keys, plus the matching.
    public func keys(matching pattern: KeyPattern) -> [ByteString] {
        let everything = pattern.matchesEverything
        return values.keys.filter { everything || pattern.matches($0) }.sorted()
    }

    /// One step of a cursor walk over the keys (SCAN): about `count` keys from `cursor`
    /// on, of which those matching `pattern` are returned, and the cursor to go on from,
    /// 0 when the walk is done. Start with cursor 0.
    ///
    /// Keys are walked in the order of a fixed hash of their bytes and a cursor is a hash
    /// value, not a position, so a key present for the whole walk is returned however
    /// many keys come and go meanwhile (Redis's guarantee); a key may be returned twice
    /// only if it is deleted and written again. Every replica computes the same hash, so
    /// a walk may move from one server to another.
    ///
    /// - Complexity: O(n + m log m), for n keys of which m are at or past the cursor.
    public func scan(from cursor: UInt64, count: Int, matching pattern: KeyPattern?) -> (
        cursor: UInt64, keys: [ByteString]
    ) {
        precondition(count > 0, "a scan step takes at least one key")
        var ahead = values.keys.compactMap { key -> (position: UInt64, key: ByteString)? in
            let position = Self.scanPosition(key)
            return position >= cursor ? (position, key) : nil
        }
        ahead.sort { ($0.position, $0.key) < ($1.position, $1.key) }
        // Keys that share a position go out together: the next cursor cannot split them.
        var end = min(count, ahead.count)
        while end < ahead.count && ahead[end].position == ahead[end - 1].position { end += 1 }
        let next = end < ahead.count ? ahead[end].position : 0
        let keys = ahead[..<end].lazy.map(\.key).filter { pattern?.matches($0) ?? true }
        return (next, Array(keys))
    }

    /// Where a key lies in a scan: FNV-1a of its bytes, never 0 (the cursor that
    /// starts and ends a walk).
    static func scanPosition(_ key: ByteString) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return max(hash, 1)
    }
}
