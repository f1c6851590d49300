import SynodCore

/// The disk contract of a replica (Write-Ahead Log), kept alike by the real segmented
/// log (`FileStorage`) and the simulator's in-memory disk, so that a run in simulation
/// exercises the promises the server relies on.
///
/// Operations take effect in the order they are made. `sync()` returns only once every
/// earlier operation is durable; nothing may be acknowledged to anyone before that. A
/// crash keeps every synced operation and at most a prefix of the unsynced ones, the last
/// of which may be torn (and is then dropped at recovery).
///
/// ```swift
/// var (storage, recovered) = try FileStorage.open(directory: "data/wal")
/// try storage.append([LogEntry(term: 1, index: recovered.lastIndex.advanced(by: 1), data: bytes)])
/// try storage.sync()   // only now may the append be acknowledged
/// ```
public protocol LogStorage {
    /// Adds entries after the log's end. They must continue it without a gap.
    mutating func append(_ entries: [LogEntry]) throws(StorageError)

    /// Drops the entry at `index` and every later one (Raft's conflicting suffix).
    /// A crash midway leaves a prefix of the old log at least `index - 1` long.
    mutating func truncate(from index: LogIndex) throws(StorageError)

    /// Replaces the term, vote and commit-index hint as one atomic write.
    mutating func saveHardState(_ state: HardState, commitHint: LogIndex) throws(StorageError)

    /// Stores `snapshot` atomically and moves the Low-Water Mark to its last index:
    /// entries up to it are dropped (segments wholly below it are deleted). When the log
    /// does not hold `lastIndex` with `lastTerm`, every entry is dropped.
    mutating func saveSnapshot(_ snapshot: Snapshot) throws(StorageError)

    /// Returns once every operation made so far is durable.
    mutating func sync() throws(StorageError)
}

extension LogStorage {
    /// Performs one replica write in the order a Raft write defines: hard state, the
    /// truncation of a conflicting suffix, a snapshot (which moves the Low-Water Mark),
    /// then the new entries. Durable only after the next `sync()`.
    public mutating func perform(
        hardState: HardState?, commitHint: LogIndex, truncateFrom: LogIndex?, snapshot: Snapshot?,
        entries: [LogEntry]
    ) throws(StorageError) {
        if let hardState { try saveHardState(hardState, commitHint: commitHint) }
        if let truncateFrom { try truncate(from: truncateFrom) }
        if let snapshot { try saveSnapshot(snapshot) }
        if !entries.isEmpty { try append(entries) }
    }
}
