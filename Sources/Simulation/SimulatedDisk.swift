import Raft
import Storage
import SynodCore

/// One node's disk in memory, keeping the `LogStorage` contract the real segmented log
/// keeps. Operations land in a volatile cache at once and become durable only when a
/// sync covers them. Faults act on what a real disk can lose: a crash keeps the synced
/// state and perhaps a prefix of the rest, the last record of which may be torn; a bit
/// may flip in synced data; a lying disk drops synced records on a crash. Recovery
/// applies the same damage rule as the real one (`classifyDamage`).
struct SimulatedDisk: LogStorage, Sendable {
    /// One stored log record and the damage it has suffered, if any.
    struct Record: Sendable {
        var entry: LogEntry
        var damage: RecordDamage?
    }

    /// What the disk cache holds but has not yet written.
    enum Operation: Sendable {
        case append([LogEntry])
        case truncate(LogIndex)
        case hardState(HardState, LogIndex)
        case snapshot(Snapshot)
    }

    /// Records per simulated segment: damage outside the last one is never a torn tail.
    static let segmentRecords = 32

    // Durable state.
    var hardState = HardState()
    var commitHint = LogIndex.zero
    var hardStateDamaged = false
    var snapshot: Snapshot?
    /// The log after the snapshot.
    var records: [Record] = []
    /// Durable note that the server must catch up before it votes: written before
    /// recovery cuts an ambiguous tail, removed once the server has caught up, so a
    /// second crash meanwhile cannot make it forget (as the real log's `catchup` file).
    var catchUpMarker: TailDamage?

    /// Operations not yet synced, each tagged with the Raft write it came from.
    var unsynced: [(id: PersistID, operation: Operation)] = []
    /// The write whose operations are being added now.
    var currentWrite = PersistID.none
    /// Syncs run one after another: the next one starts no earlier than this.
    var busyUntil: Instant = .zero
    /// A slow disk takes milliseconds per sync instead of microseconds.
    var isSlow = false
    /// The next sync takes milliseconds however fast the disk is (a targeted fault).
    var slowNextSync = false
    /// A disk whose flushes lie: a crash also loses recently synced records.
    var lies = false
    /// Set while the disk cannot write (full, or its sync hangs): no sync starts until
    /// it works again. A crash does not end it: the disk is the same after a restart.
    var failure: Failure?

    /// A disk that cannot write, and what its server has been told of it.
    struct Failure: Sendable {
        var kind: DiskFailureKind
        /// When the disk works again (space freed, the sync returns); nil: when told to.
        var until: Instant?
        /// Whether it may outlast the heal (an operator has yet to free the space).
        var lasting: Bool
        /// When the sync under way as the disk failed completes (it does complete).
        var syncInFlightUntil: Instant
        /// Whether the server was told its write failed (a full disk only; a hung sync
        /// says nothing, the server must notice by itself).
        var reported = false
    }

    // MARK: LogStorage

    mutating func append(_ entries: [LogEntry]) throws(StorageError) {
        unsynced.append((currentWrite, .append(entries)))
    }

    mutating func truncate(from index: LogIndex) throws(StorageError) {
        unsynced.append((currentWrite, .truncate(index)))
    }

    mutating func saveHardState(_ state: HardState, commitHint: LogIndex) throws(StorageError) {
        unsynced.append((currentWrite, .hardState(state, commitHint)))
    }

    mutating func saveSnapshot(_ snapshot: Snapshot) throws(StorageError) {
        unsynced.append((currentWrite, .snapshot(snapshot)))
    }

    mutating func sync() throws(StorageError) {
        _ = sync(through: unsynced.last?.id ?? .none)
    }

    // MARK: Durability

    /// The last index durably held, in the log or the snapshot.
    var lastIndex: LogIndex { records.last?.entry.index ?? snapshot?.lastIndex ?? .zero }

    var hasUnsynced: Bool { !unsynced.isEmpty }

    var lastUnsynced: PersistID? { unsynced.last?.id }

    /// Makes every operation of the writes up to `id` durable; returns how the durable
    /// log changed, for the checker's mirror of this disk.
    mutating func sync(through id: PersistID) -> [DiskChange] {
        var count = 0
        while count < unsynced.count, unsynced[count].id <= id { count += 1 }
        let done = unsynced[..<count].map(\.operation)
        unsynced.removeFirst(count)
        return done.map { apply($0) }
    }

    /// A crash: keeps the first `survivors` unsynced operations and loses the rest; a
    /// kept append may have its last record torn. A lying disk also drops up to
    /// `liesDrop` of its newest synced records. Returns how the durable log changed.
    mutating func crash(keeping survivors: Int, tear: RecordDamage?, liesDrop: Int) -> [DiskChange] {
        var changes = unsynced.prefix(survivors).map { apply($0.operation) }
        if let tear, survivors > 0, case .append(let entries) = unsynced[survivors - 1].operation, !entries.isEmpty,
            records.last?.entry.index == entries.last?.index
        {
            records[records.count - 1].damage = tear
        }
        unsynced.removeAll()
        // A disk that cannot write still cannot after the restart: no sync starts.
        busyUntil = failure == nil ? .zero : .distantFuture
        failure?.syncInFlightUntil = .zero
        failure?.reported = false
        if lies && liesDrop > 0 && !records.isEmpty {
            let keep = records.count - min(liesDrop, records.count)
            records.removeSubrange(keep...)
            changes.append(.truncated(from: lastIndex.advanced(by: 1)))
        }
        return changes
    }

    /// Flips a bit in a synced record (or, when `inHardState`, in the hard state file).
    mutating func flipBit(at position: Int, inHardState: Bool) {
        if inHardState {
            hardStateDamaged = true
        } else if records.indices.contains(position) {
            records[position].damage = .checksumMismatch
        }
    }

    /// How one durable operation changed the log, for the checker.
    enum DiskChange: Sendable {
        case none
        case truncated(from: LogIndex)
        case appended([LogEntry])
        case snapshot(Snapshot, discardedLog: Bool)
    }

    mutating func apply(_ operation: Operation) -> DiskChange {
        switch operation {
        case .hardState(let state, let hint):
            hardState = state
            commitHint = hint
            hardStateDamaged = false
            return .none
        case .truncate(let index):
            let keep = records.firstIndex { $0.entry.index >= index } ?? records.count
            records.removeSubrange(keep...)
            return .truncated(from: index)
        case .append(let entries):
            records.append(contentsOf: entries.map { Record(entry: $0, damage: nil) })
            return .appended(entries)
        case .snapshot(let image):
            let base = snapshot?.lastIndex ?? .zero
            let held: Term? =
                image.lastIndex == base
                ? snapshot?.lastTerm
                : records.first { $0.entry.index == image.lastIndex }?.entry.term
            let matches = held == image.lastTerm
            records.removeAll { !matches || $0.entry.index <= image.lastIndex }
            snapshot = image
            return .snapshot(image, discardedLog: !matches)
        }
    }

    // MARK: Recovery

    /// What a server restarting on this disk finds, by the real log's damage rule:
    /// damage in the last segment's tail is cut away (silently when torn, as possible
    /// data loss otherwise); damage anywhere else refuses the start.
    func recover(file: String) throws(StorageError) -> RecoveredState {
        if hardStateDamaged { throw .corrupt(file: "\(file)/hardstate", offset: 0, reason: "checksum mismatch") }
        var state = RecoveredState(hardState: hardState, commitHint: commitHint, snapshot: snapshot)
        state.damage = catchUpMarker
        guard let bad = records.firstIndex(where: { $0.damage != nil }) else {
            state.entries = records.map(\.entry)
            return state
        }
        let lastSegmentStart = (records.count - 1) / Self.segmentRecords * Self.segmentRecords
        let offset = Int64(bad) * 64
        var verdict = classifyDamage(
            records[bad].damage!, inLastSegment: bad >= lastSegmentStart, validRecordsFollow: bad < records.count - 1)
        if verdict == .tornTail, records[bad].entry.index <= commitHint { verdict = .ambiguousTail }
        switch verdict {
        case .corrupt:
            throw .corrupt(
                file: "\(file)/segment-\(bad / Self.segmentRecords)", offset: offset, reason: "checksum mismatch")
        case .tornTail:
            state.notes.append("cut a torn record at offset \(offset)")
        case .ambiguousTail:
            let possibleEnd = max(records[records.count - 1].entry.index, catchUpMarker?.possibleEnd ?? .zero)
            state.damage = TailDamage(
                file: "\(file)/segment-\(bad / Self.segmentRecords)", offset: offset, possibleEnd: possibleEnd,
                reason: "checksum mismatch in the last record")
        }
        state.entries = records[..<bad].map(\.entry)
        return state
    }

    /// Recovery's verdict made durable: the catch-up marker first, then the cut.
    mutating func cut(to recovered: RecoveredState) {
        if let damage = recovered.damage { catchUpMarker = damage }
        let keep = recovered.entries.count
        if keep < records.count { records.removeSubrange(keep...) }
    }
}
