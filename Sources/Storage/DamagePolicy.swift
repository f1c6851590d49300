/// How a damaged record was found.
public enum RecordDamage: Sendable, Equatable {
    /// The file ends inside the record (its header, or a payload whose length checksum
    /// matches): a write that never completed, since bit rot does not shorten files.
    case incomplete
    /// The record's bytes are all zero: space the file system extended but the write
    /// never filled.
    case zeroFilled
    /// The record's length checksum does not match, or the record is whole and its
    /// payload checksum does not match.
    case checksumMismatch
}

/// What recovery does about the first damaged record it meets.
public enum DamageVerdict: Sendable, Equatable {
    /// A write torn by a crash before its sync: never acknowledged, cut away silently
    /// (with a note).
    case tornTail
    /// Cannot be told apart from a synced record that rotted: cut away, and the server
    /// rejoins as a non-voter (see `TailDamage`).
    case ambiguousTail
    /// Damage before the end of the log: the server refuses to start.
    case corrupt
}

/// The one recovery rule, shared by the real and the simulated disk: only the tail of
/// the last segment can hold a write torn by a crash; damage anywhere else, or damage
/// followed by valid records, is corruption of synced data and is never cut away.
public func classifyDamage(_ damage: RecordDamage, inLastSegment: Bool, validRecordsFollow: Bool) -> DamageVerdict {
    if !inLastSegment || validRecordsFollow { return .corrupt }
    switch damage {
    case .incomplete, .zeroFilled: return .tornTail
    case .checksumMismatch: return .ambiguousTail
    }
}
