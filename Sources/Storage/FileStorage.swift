import SynodCore

/// The on-disk Write-Ahead Log: a Segmented Log of CRC-framed records, one per entry,
/// plus a hard-state file and a snapshot file (the Low-Water Mark) in one directory.
///
/// Appends are buffered and made durable by a group commit: every appender waiting for
/// durability shares one `fdatasync` (see `enqueue(_:)` and `waitDurable(_:)`). A failed
/// sync is fatal: the store then refuses every call, because retrying could acknowledge
/// writes the kernel dropped.
///
/// ```swift
/// let (storage, recovered) = try FileStorage.open(directory: "data/wal")
/// let ticket = try storage.enqueue { next in [LogEntry(term: 1, index: next, data: bytes)] }
/// let durable = try storage.waitDurable(ticket)  // only now may it be acknowledged
/// ```
///
/// The unchecked `Sendable` is sound: every mutable field is read and written under
/// `lock`, and the files only by the thread that holds the writer's turn.
public final class FileStorage: LogStorage, @unchecked Sendable {
    /// Sizes of the log's files and buffers.
    public struct Options: Sendable {
        /// A segment is rolled when its next record would pass this size.
        public var segmentSize: Int
        /// The largest record payload accepted (and believed at recovery).
        public var maxRecordSize: Int
        /// Buffered bytes past which an append writes them out (without syncing), so
        /// memory stays bounded between syncs.
        public var writeBufferSize: Int
        /// The system calls used; tests replace some to inject faults.
        var systemCalls: SystemCalls = .live

        public init(segmentSize: Int = 64 << 20, maxRecordSize: Int = 64 << 20, writeBufferSize: Int = 4 << 20) {
            self.segmentSize = segmentSize
            self.maxRecordSize = maxRecordSize
            self.writeBufferSize = writeBufferSize
        }
    }

    /// The directory holding the log.
    public let directory: String
    let options: Options
    let calls: SystemCalls
    let lock = ConditionLock()

    // Everything below is guarded by `lock`.

    /// The open segments, in index order, including ones not yet created on disk.
    var segments: [Segment]
    /// Records encoded but not yet taken by a writer, one chunk per segment touched.
    var pending: [Chunk] = []
    var pendingBytes = 0
    /// Records a writer is writing right now (still readable from memory).
    var inFlight: [Chunk] = []
    /// The index the next append must carry.
    var nextIndex: LogIndex
    /// The Low-Water Mark: the snapshot's last index and term.
    var snapshotIndex: LogIndex
    var snapshotTerm: Term
    /// Group-commit positions, counted in enqueue calls: issued, written, durable.
    var enqueuedSequence: UInt64 = 0
    var writtenSequence: UInt64 = 0
    var durableSequence: UInt64 = 0
    /// True while one thread owns the files (writing, syncing or rewriting them).
    var ioBusy = false
    /// The fatal error that stopped the store, and the last ticket it concerned.
    var failure: (error: StorageError, through: UInt64)?
    var isClosed = false
    /// Tickets whose writes were refused (disk full), with the error to report.
    var rejections: [(range: ClosedRange<UInt64>, error: StorageError)] = []
    var syncs = 0

    init(
        directory: String, options: Options, segments: [Segment], nextIndex: LogIndex, snapshotIndex: LogIndex,
        snapshotTerm: Term
    ) {
        self.directory = directory
        self.options = options
        calls = options.systemCalls
        self.segments = segments
        self.nextIndex = nextIndex
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
    }

    deinit {
        for segment in segments where segment.descriptor >= 0 { _ = calls.close(segment.descriptor) }
    }

    /// The last index held (in the log, buffered appends included, or in the snapshot).
    public var lastIndex: LogIndex {
        lock.lock()
        defer { lock.unlock() }
        return nextIndex.advanced(by: -1)
    }

    /// The first index the log can return: right after the snapshot.
    public var firstIndex: LogIndex {
        lock.lock()
        defer { lock.unlock() }
        return snapshotIndex.advanced(by: 1)
    }

    /// How many `fdatasync`s of segments the store has made: with group commit, far
    /// fewer than the appends it made durable.
    public var syncCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return syncs
    }

    /// Up to `limit` entries from `index` on, buffered ones included. Reads each segment
    /// it touches with one positioned read.
    ///
    /// ```swift
    /// let batch = try storage.entries(from: 42, limit: 100)
    /// ```
    /// - Complexity: O(log segments + bytes read).
    public func entries(from index: LogIndex, limit: Int = .max) throws(StorageError) -> [LogEntry] {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        guard index > snapshotIndex else {
            throw .misuse("entries from \(index): compacted up to \(snapshotIndex) (the snapshot)")
        }
        guard index <= nextIndex else {
            throw .misuse("entries from \(index): the log ends at \(nextIndex.advanced(by: -1))")
        }
        let available = index.distance(to: nextIndex)
        let end = index.advanced(by: min(max(limit, 0), available))
        return try readLocked(from: index, upTo: end)
    }

    /// Stops the store: closes its files and refuses further calls. Appends not yet
    /// synced are dropped, as a crash would drop them; call `sync()` first to keep them.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        while ioBusy { lock.wait() }
        guard !isClosed else { return }
        isClosed = true
        closeFilesLocked()
        lock.broadcast()
    }

    /// Each segment as the store sees it: where its records start, how far it is written
    /// and synced. Tests use it to simulate a crash that keeps only part of the unsynced bytes.
    func segmentStates() -> [(path: String, recordOffsets: [Int64], written: Int64, synced: Int64)] {
        lock.lock()
        defer { lock.unlock() }
        return segments.map { ($0.path, $0.recordOffsets, $0.writtenEnd, $0.syncedEnd) }
    }

    // MARK: - Internals (called with `lock` held)

    func checkOpenLocked() throws(StorageError) {
        if failure != nil || isClosed { throw .closed }
    }

    /// Stops the store after a fatal error and returns it for the caller to throw.
    func failLocked(_ error: StorageError) -> StorageError {
        if failure == nil { failure = (error, enqueuedSequence) }
        isClosed = true
        closeFilesLocked()
        lock.broadcast()
        return error
    }

    func closeFilesLocked() {
        for segment in segments where segment.descriptor >= 0 {
            _ = calls.close(segment.descriptor)
            segment.descriptor = -1
        }
        pending = []
        pendingBytes = 0
    }

    /// The segment holding `index`, which the log must hold.
    func segmentLocked(holding index: LogIndex) -> Segment {
        var low = 0
        var high = segments.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if segments[middle].firstIndex <= index { low = middle } else { high = middle - 1 }
        }
        return segments[low]
    }

    /// Entries `start..<end`, all held by the log.
    func readLocked(from start: LogIndex, upTo end: LogIndex) throws(StorageError) -> [LogEntry] {
        var result: [LogEntry] = []
        result.reserveCapacity(start.distance(to: end))
        var index = start
        while index < end {
            let segment = segmentLocked(holding: index)
            let last = min(end.advanced(by: -1), segment.lastIndex)
            let range = segment.byteRange(from: index, through: last)
            let bytes = try bytesLocked(of: segment, range)
            var position = 0
            while index <= last {
                let offset = range.lowerBound + Int64(position)
                guard let (entry, next) = decodeRecord(bytes, at: position), entry.index == index else {
                    throw .corrupt(
                        file: segment.path, offset: offset, reason: "record for index \(index) does not read back")
                }
                result.append(entry)
                position = next
                index = index.advanced(by: 1)
            }
        }
        return result
    }

    /// The bytes of `range` in `segment`: the written part from the file, the rest from
    /// the chunks waiting to be (or being) written.
    private func bytesLocked(of segment: Segment, _ range: Range<Int64>) throws(StorageError) -> [UInt8] {
        var bytes: [UInt8] = []
        let fileEnd = min(range.upperBound, segment.writtenEnd)
        if range.lowerBound < fileEnd {
            switch calls.readAll(segment.descriptor, count: Int(fileEnd - range.lowerBound), at: range.lowerBound) {
            case .success(let read): bytes = read
            case .failure(let error): throw .io(file: segment.path, operation: "read", errno: error.code)
            }
            guard bytes.count == Int(fileEnd - range.lowerBound) else {
                throw .corrupt(
                    file: segment.path, offset: range.lowerBound + Int64(bytes.count),
                    reason: "file is shorter than its records")
            }
        }
        var position = max(range.lowerBound, segment.writtenEnd)
        for chunk in inFlight + pending where chunk.segment === segment && position < range.upperBound {
            let chunkEnd = chunk.offset + Int64(chunk.bytes.count)
            guard chunk.offset <= position, position < chunkEnd else { continue }
            let stop = min(chunkEnd, range.upperBound)
            bytes.append(contentsOf: chunk.bytes[Int(position - chunk.offset)..<Int(stop - chunk.offset)])
            position = stop
        }
        return bytes
    }

    /// Decodes the record at `position` of `bytes`; nil if it is damaged.
    private func decodeRecord(_ bytes: [UInt8], at position: Int) -> (LogEntry, Int)? {
        guard let payload = RecordFormat.intactPayload(in: bytes, at: position),
            let entry = RecordFormat.decodePayload(bytes[payload])
        else { return nil }
        return (entry, payload.upperBound)
    }
}
