import SynodCore

/// 64-bit digests of log entries and of whole log prefixes. A prefix digest chains the
/// previous one with the entry's, so equal prefix digests at an index mean equal logs up
/// to that index: Log Matching checks become one comparison instead of a scan.
public enum EntryDigest {
    /// The digest of the empty log.
    public static let empty: UInt64 = 0x5EED_0F_5EED

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The digest of one entry: its term, index, kind and data.
    public static func of(_ entry: LogEntry) -> UInt64 {
        var h = mix(entry.term.rawValue ^ (entry.index.rawValue << 32) ^ UInt64(entry.kind.rawValue) << 62)
        for byte in entry.data { h = mix(h ^ UInt64(byte)) }
        return mix(h ^ UInt64(entry.data.count))
    }

    /// The digest of a log prefix ending with `entry`, given the prefix before it.
    @inline(__always)
    public static func chain(_ previous: UInt64, _ entryDigest: UInt64) -> UInt64 {
        mix(previous ^ mix(entryDigest))
    }
}
