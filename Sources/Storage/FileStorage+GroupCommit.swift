import SynodCore

/// A claim on the appends made by one `enqueue` call (and every earlier one). Only
/// `FileStorage.waitDurable(_:)` can turn it into `Durable`.
public struct SyncTicket: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The position in the store's sequence of enqueue calls.
    let sequence: UInt64
    /// The last index the log held once the entries were enqueued.
    public let lastIndex: LogIndex

    public static func < (lhs: SyncTicket, rhs: SyncTicket) -> Bool { lhs.sequence < rhs.sequence }

    public var description: String { "ticket #\(sequence) (through index \(lastIndex))" }
}

/// Proof that an `fdatasync` covering a ticket's appends completed. It has no public
/// initializer: durability can be learned from `waitDurable(_:)` and nowhere else.
public struct Durable: Sendable, Hashable {
    public let ticket: SyncTicket

    init(_ ticket: SyncTicket) { self.ticket = ticket }

    /// The last index the ticket's appends reached.
    public var lastIndex: LogIndex { ticket.lastIndex }
}

extension FileStorage {
    /// Appends the entries `makeEntries` builds, buffered; returns the ticket to wait on.
    /// `makeEntries` runs under the store's lock and receives the index the first entry
    /// must carry, so concurrent appenders get contiguous indexes without coordinating.
    /// It must return entries numbered `nextIndex, nextIndex + 1, ...`.
    ///
    /// ```swift
    /// let ticket = try storage.enqueue { next in [LogEntry(term: term, index: next, data: command)] }
    /// _ = try storage.waitDurable(ticket)
    /// ```
    public func enqueue(_ makeEntries: (_ nextIndex: LogIndex) -> [LogEntry]) throws(StorageError) -> SyncTicket {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        let first = nextIndex
        let entries = makeEntries(first)
        var payloads: [[UInt8]] = []
        payloads.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() {
            let expected = first.advanced(by: position)
            guard entry.index == expected else {
                throw .misuse("append of index \(entry.index) where the log expects \(expected)")
            }
            let payload = RecordFormat.payload(of: entry)
            guard payload.count <= options.maxRecordSize else {
                throw .misuse(
                    "entry \(entry.index) is \(payload.count) bytes, above the \(options.maxRecordSize)-byte limit")
            }
            payloads.append(payload)
        }
        guard !payloads.isEmpty else {
            return SyncTicket(sequence: enqueuedSequence, lastIndex: first.advanced(by: -1))
        }
        for payload in payloads { placeRecordLocked(payload) }
        enqueuedSequence += 1
        let ticket = SyncTicket(sequence: enqueuedSequence, lastIndex: nextIndex.advanced(by: -1))
        if pendingBytes >= options.writeBufferSize && !ioBusy {
            try writeOutLocked(sync: false)
        }
        return ticket
    }

    /// Returns once an `fdatasync` covering `ticket` has completed. If no sync is running,
    /// the caller itself writes every buffered record with one `pwrite`, syncs, and wakes
    /// the others (so a lone appender pays no thread handoff); otherwise it waits for the
    /// running one and, if that did not cover it, leads the next.
    /// - Throws: `.diskFull` if the ticket's writes were refused; `.syncFailed` if the sync
    ///   covering it failed; `.closed` after that.
    public func waitDurable(_ ticket: SyncTicket) throws(StorageError) -> Durable {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let failure { throw ticket.sequence <= failure.through ? failure.error : .closed }
            if isClosed { throw .closed }
            if let rejection = rejections.first(where: { $0.range.contains(ticket.sequence) }) {
                throw rejection.error
            }
            if ticket.sequence <= durableSequence { return Durable(ticket) }
            if ioBusy {
                lock.wait()
                continue
            }
            // A leader's own errors reach it through the checks above, on the next turn.
            try? writeOutLocked(sync: true)
        }
    }

    /// Adds entries that must continue the log (`.misuse` otherwise), buffered.
    public func append(_ entries: [LogEntry]) throws(StorageError) {
        _ = try enqueue { _ in entries }
    }

    /// Returns once every append made so far is durable.
    public func sync() throws(StorageError) {
        lock.lock()
        do throws(StorageError) {
            try checkOpenLocked()
        } catch {
            lock.unlock()
            throw error
        }
        var sequence = enqueuedSequence
        if let rejection = rejections.last, rejection.range.contains(sequence) {
            sequence = rejection.range.lowerBound - 1
        }
        let ticket = SyncTicket(sequence: sequence, lastIndex: nextIndex.advanced(by: -1))
        lock.unlock()
        _ = try waitDurable(ticket)
    }

    /// Writes the buffered records to their segments without waiting for a sync: they
    /// are then on the kernel's side, not yet durable. (Tests use it to leave unsynced
    /// bytes in the files before a simulated crash.)
    func flush() throws(StorageError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        while ioBusy { lock.wait() }
        try writeOutLocked(sync: false)
    }

    /// Makes everything enqueued durable while the caller keeps the lock: the first step
    /// of every operation that rewrites files, so operations reach the disk in order.
    func drainLocked() throws(StorageError) {
        while ioBusy { lock.wait() }
        try checkOpenLocked()
        let unsynced = segments.contains { $0.writtenEnd > $0.syncedEnd }
        guard !pending.isEmpty || unsynced || writtenSequence > durableSequence else { return }
        let plan = takePlanLocked(sync: true)
        let outcome = plan.execute(calls: calls, directory: directory)
        defer { lock.broadcast() }
        try applyLocked(plan, outcome)
    }

    // MARK: - Placing records

    /// Puts one record in the buffer, rolling to a new segment when it would overflow
    /// the current one (a record larger than a segment gets a segment of its own).
    private func placeRecordLocked(_ payload: [UInt8]) {
        let size = Int64(RecordFormat.headerSize + payload.count)
        var segment: Segment
        if let last = segments.last, last.recordOffsets.isEmpty || last.endOffset + size <= Int64(options.segmentSize) {
            segment = last
        } else {
            segment = Segment(
                firstIndex: nextIndex, path: directory + "/" + SegmentFile.name(firstIndex: nextIndex), descriptor: -1,
                recordOffsets: [], end: Int64(SegmentFile.headerSize))
            segments.append(segment)
            let header = SegmentFile.header(firstIndex: nextIndex)
            pending.append(Chunk(segment: segment, offset: 0, bytes: header, createsFile: true))
            pendingBytes += header.count
        }
        if pending.last?.segment !== segment {
            pending.append(Chunk(segment: segment, offset: segment.endOffset, bytes: [], createsFile: false))
        }
        RecordFormat.appendRecord(payload: payload, to: &pending[pending.count - 1].bytes)
        segment.recordOffsets.append(segment.endOffset)
        segment.endOffset += size
        pendingBytes += Int(size)
        nextIndex = nextIndex.advanced(by: 1)
    }

    // MARK: - Writing

    /// Takes the buffer, writes it (releasing the lock meanwhile), and publishes the result.
    private func writeOutLocked(sync: Bool) throws(StorageError) {
        ioBusy = true
        let plan = takePlanLocked(sync: sync)
        lock.unlock()
        let outcome = plan.execute(calls: calls, directory: directory)
        lock.lock()
        ioBusy = false
        defer { lock.broadcast() }
        try applyLocked(plan, outcome)
    }

    private func takePlanLocked(sync: Bool) -> WritePlan {
        inFlight = pending
        pending = []
        pendingBytes = 0
        let unsynced = segments.last { $0.descriptor >= 0 && $0.writtenEnd > $0.syncedEnd }
        return WritePlan(chunks: inFlight, unsyncedBefore: unsynced, sync: sync, target: enqueuedSequence)
    }

    /// Publishes what a writer did: new positions, or a rollback (disk full), or the end.
    private func applyLocked(_ plan: WritePlan, _ outcome: WriteOutcome) throws(StorageError) {
        inFlight = []
        syncs += outcome.syncCount
        for (segment, descriptor) in outcome.created { segment.descriptor = descriptor }
        if let error = outcome.error {
            if outcome.isFatal { throw failLocked(error) }
            rollBackLocked(error)
            throw error
        }
        for chunk in plan.chunks { chunk.segment.writtenEnd = chunk.offset + Int64(chunk.bytes.count) }
        for segment in outcome.synced { segment.syncedEnd = segment.writtenEnd }
        writtenSequence = max(writtenSequence, plan.target)
        if plan.sync { durableSequence = max(durableSequence, plan.target) }
    }

    /// Forgets every record not written (the writer has cut the files back already) and
    /// refuses the tickets that held them.
    private func rollBackLocked(_ error: StorageError) {
        pending = []
        pendingBytes = 0
        segments.removeAll { $0.descriptor < 0 }
        for segment in segments where segment.endOffset > segment.writtenEnd {
            segment.recordOffsets.removeAll { $0 >= segment.writtenEnd }
            segment.endOffset = segment.writtenEnd
        }
        nextIndex = segments.last.map { $0.lastIndex.advanced(by: 1) } ?? snapshotIndex.advanced(by: 1)
        if enqueuedSequence > writtenSequence {
            rejections.append(((writtenSequence + 1)...enqueuedSequence, error))
        }
    }
}

/// What one writer does with the lock released: write each chunk (creating new segments,
/// after syncing the one before so that only the last segment can hold unsynced bytes),
/// then, for a sync, one `fdatasync`.
struct WritePlan {
    var chunks: [Chunk]
    /// A segment written earlier but not yet synced.
    var unsyncedBefore: Segment?
    var sync: Bool
    /// The enqueue sequence this plan covers.
    var target: UInt64
    /// Captured under the lock, read by the writer without it.
    private var descriptors: [Int32]
    private var unsyncedDescriptor: Int32

    init(chunks: [Chunk], unsyncedBefore: Segment?, sync: Bool, target: UInt64) {
        self.chunks = chunks
        self.unsyncedBefore = unsyncedBefore
        self.sync = sync
        self.target = target
        descriptors = chunks.map(\.segment.descriptor)
        unsyncedDescriptor = unsyncedBefore?.descriptor ?? -1
    }

    func execute(calls: SystemCalls, directory: String) -> WriteOutcome {
        var outcome = WriteOutcome()
        var unsynced: (segment: Segment, descriptor: Int32)? = unsyncedBefore.map { ($0, unsyncedDescriptor) }
        /// Files grown by this plan, with the size to cut them back to.
        var grown: [(descriptor: Int32, path: String, size: Int64)] = []
        for (position, chunk) in chunks.enumerated() {
            let path = chunk.segment.path
            var descriptor = descriptors[position]
            if chunk.createsFile {
                if let (segment, previous) = unsynced {
                    outcome.syncCount += 1
                    let result = calls.fdatasync(previous)
                    guard result == 0 else { return outcome.fatal(.syncFailed(file: segment.path, errno: -result)) }
                    outcome.synced.append(segment)
                    unsynced = nil
                }
                descriptor = calls.open(path, SystemCalls.createReadWrite, 0o644)
                guard descriptor >= 0 else {
                    if -descriptor == Errno.noSpace {
                        return rollBack(
                            outcome, grown, calls: calls, directory: directory, error: .diskFull(file: path))
                    }
                    return outcome.fatal(.io(file: path, operation: "create", errno: -descriptor))
                }
                outcome.created.append((chunk.segment, descriptor))
                let synced = calls.syncDirectory(directory)
                guard synced == 0 else { return outcome.fatal(.syncFailed(file: directory, errno: synced)) }
            } else {
                grown.append((descriptor, path, chunk.offset))
            }
            let written = chunk.bytes.withUnsafeBytes { calls.writeAll(descriptor, $0, at: chunk.offset) }
            if written == Errno.noSpace {
                return rollBack(outcome, grown, calls: calls, directory: directory, error: .diskFull(file: path))
            }
            guard written == 0 else { return outcome.fatal(.io(file: path, operation: "write", errno: written)) }
            unsynced = (chunk.segment, descriptor)
        }
        if sync, let (segment, descriptor) = unsynced {
            outcome.syncCount += 1
            let result = calls.fdatasync(descriptor)
            guard result == 0 else { return outcome.fatal(.syncFailed(file: segment.path, errno: -result)) }
            outcome.synced.append(segment)
        }
        return outcome
    }

    /// Disk full: cuts each grown file back to its previous end and deletes the segments
    /// this plan created, so that the store holds exactly what it held before.
    private func rollBack(
        _ partial: WriteOutcome, _ grown: [(descriptor: Int32, path: String, size: Int64)], calls: SystemCalls,
        directory: String, error: StorageError
    ) -> WriteOutcome {
        var outcome = partial
        for file in grown {
            let cut = calls.ftruncate(file.descriptor, file.size)
            guard cut == 0 else { return outcome.fatal(.io(file: file.path, operation: "ftruncate", errno: -cut)) }
            let synced = calls.fdatasync(file.descriptor)
            guard synced == 0 else { return outcome.fatal(.syncFailed(file: file.path, errno: -synced)) }
        }
        for (segment, descriptor) in outcome.created {
            _ = calls.close(descriptor)
            let removed = calls.unlink(segment.path)
            guard removed == 0 else {
                return outcome.fatal(.io(file: segment.path, operation: "unlink", errno: -removed))
            }
        }
        if !outcome.created.isEmpty {
            outcome.created = []
            let synced = calls.syncDirectory(directory)
            guard synced == 0 else { return outcome.fatal(.syncFailed(file: directory, errno: synced)) }
        }
        outcome.error = error
        return outcome
    }
}

/// What a writer reports back under the lock.
struct WriteOutcome {
    var created: [(segment: Segment, descriptor: Int32)] = []
    var synced: [Segment] = []
    var syncCount = 0
    var error: StorageError?
    /// The error stops the store (a failed sync or an I/O error); otherwise it is a
    /// disk-full refusal that was rolled back.
    var isFatal = false

    func fatal(_ error: StorageError) -> WriteOutcome {
        var outcome = self
        outcome.error = error
        outcome.isFatal = true
        return outcome
    }
}
