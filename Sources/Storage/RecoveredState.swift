import SynodCore

/// What a store held when it was opened: the input a replica restarts from.
public struct RecoveredState: Sendable, Equatable {
    public var hardState: HardState
    /// The commit index last written with the hard state: a lower bound, not the truth.
    public var commitHint: LogIndex
    /// The newest snapshot; the log continues right after its last index.
    public var snapshot: Snapshot?
    /// The log after the snapshot (or from index 1), contiguous, in index order.
    public var entries: [LogEntry]
    /// Set when recovery cut away damage that may have held acknowledged entries, at this
    /// open or at an earlier one whose catch-up was not cleared yet (`DIR/catchup`, see
    /// `FileStorage.clearCatchUp()`).
    public var damage: TailDamage?
    /// What recovery did that an operator may want to know (a torn tail cut away...).
    public var notes: [String]

    public init(
        hardState: HardState = HardState(), commitHint: LogIndex = .zero, snapshot: Snapshot? = nil,
        entries: [LogEntry] = [], damage: TailDamage? = nil, notes: [String] = []
    ) {
        self.hardState = hardState
        self.commitHint = commitHint
        self.snapshot = snapshot
        self.entries = entries
        self.damage = damage
        self.notes = notes
    }

    /// The index of the snapshot's last entry, or zero.
    public var baseIndex: LogIndex { snapshot?.lastIndex ?? .zero }

    /// The last index held, in the log or the snapshot.
    public var lastIndex: LogIndex { entries.last?.index ?? baseIndex }
}

/// Damage at the very end of the log that recovery could not prove was an unsynced torn
/// write. The server must then assume it lost acknowledged entries up to `possibleEnd`
/// and rejoin as a non-voter until a leader has brought it past that point.
public struct TailDamage: Sendable, Equatable, CustomStringConvertible {
    /// The file and byte offset of the first damaged record.
    public var file: String
    public var offset: Int64
    /// An upper bound on the last index the log may have held before the damage.
    public var possibleEnd: LogIndex
    public var reason: String

    public init(file: String, offset: Int64, possibleEnd: LogIndex, reason: String) {
        self.file = file
        self.offset = offset
        self.possibleEnd = possibleEnd
        self.reason = reason
    }

    public var description: String {
        "\(file) at offset \(offset): \(reason); entries up to \(possibleEnd) may be lost"
    }
}
