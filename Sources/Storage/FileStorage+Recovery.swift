import SynodCore

extension FileStorage {
    /// Opens (creating it if missing) the log in `directory` and recovers its state.
    ///
    /// Damage is judged by `classifyDamage`: a torn write at the end of the last segment
    /// is cut away with a note; damage that may have held acknowledged entries is cut
    /// too but reported in `RecoveredState.damage`; anything else is refused with an
    /// error naming the file and offset, and nothing is changed. Reported damage is
    /// recorded in `DIR/catchup` before the cut and reported again at every open until
    /// `clearCatchUp()`.
    ///
    /// ```swift
    /// let (storage, recovered) = try FileStorage.open(directory: "data/wal")
    /// if let damage = recovered.damage { print("rejoin as a non-voter: \(damage)") }
    /// ```
    public static func open(directory: String, options: Options = .init()) throws(StorageError)
        -> (FileStorage, RecoveredState)
    {
        let calls = options.systemCalls
        try makeDirectories(directory, calls: calls)
        let scan = DirectoryScan.read(directory: directory, calls: calls, maxRecordSize: options.maxRecordSize)
        if let error = scan.firstError { throw error }
        var recovery = Recovery(scan: scan, calls: calls)
        try recovery.run()
        let base = scan.snapshot?.lastIndex ?? .zero
        let storage = FileStorage(
            directory: directory, options: options, segments: recovery.segments,
            nextIndex: recovery.segments.last.map { $0.lastIndex.advanced(by: 1) } ?? base.advanced(by: 1),
            snapshotIndex: base, snapshotTerm: scan.snapshot?.lastTerm ?? .zero)
        let state = RecoveredState(
            hardState: scan.hardState ?? HardState(), commitHint: scan.commitHint, snapshot: scan.snapshot,
            entries: recovery.entries, damage: recovery.damage, notes: recovery.notes)
        return (storage, state)
    }

    /// `mkdir -p`.
    private static func makeDirectories(_ directory: String, calls: SystemCalls) throws(StorageError) {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            let made = calls.mkdir(path)
            guard made == 0 || made == -Errno.exists else {
                throw .io(file: path, operation: "mkdir", errno: -made)
            }
        }
    }
}

/// The changes recovery makes once the scan found nothing corrupt: remove temp files, cut
/// the damaged tail, finish an interrupted Low-Water Mark move, then open the segments.
private struct Recovery {
    let scan: DirectoryScan
    let calls: SystemCalls
    var scans: [SegmentScan]
    var segments: [Segment] = []
    var entries: [LogEntry] = []
    /// The pending catch-up: the one found on disk, merged with any new damage.
    var catchUp: CatchUpFile.Marker?
    var notes: [String] = []
    private var directoryChanged = false

    init(scan: DirectoryScan, calls: SystemCalls) {
        self.scan = scan
        self.calls = calls
        scans = scan.segments
        catchUp = scan.catchUp
    }

    /// What the server must know: entries up to `possibleEnd` may be lost, so it rejoins
    /// without a vote.
    var damage: TailDamage? {
        catchUp.map {
            TailDamage(file: scan.path($0.file), offset: $0.offset, possibleEnd: $0.possibleEnd, reason: $0.reason)
        }
    }

    mutating func run() throws(StorageError) {
        for name in scan.temporaryFiles {
            try remove(scan.path(name))
            notes.append("removed leftover temporary file \(scan.path(name))")
        }
        if let catchUp, scan.tail?.verdict != .ambiguousTail {
            notes.append(
                "catch-up pending since an earlier recovery (\(scan.path(CatchUpFile.name))): "
                    + "entries up to \(catchUp.possibleEnd) may be lost")
        }
        try cutTail()
        try applySnapshot()
        if directoryChanged { try syncDirectory() }
        try openSegments()
    }

    private mutating func cutTail() throws(StorageError) {
        guard let tail = scan.tail else { return }
        let segment = scans[tail.segmentPosition]
        let path = scan.path(segment.fileName)
        let what = tail.verdict == .tornTail ? "torn tail" : "damaged tail"
        if tail.verdict == .ambiguousTail {
            // Durable before the cut: once the bytes are gone, only the marker says so.
            try recordCatchUp(
                CatchUpFile.Marker(
                    possibleEnd: tail.possibleEnd, term: scan.hardState?.term ?? .zero, file: segment.fileName,
                    offset: tail.offset, reason: tail.reason))
        }
        if tail.deletesFile {
            try remove(path)
            scans.remove(at: tail.segmentPosition)
            notes.append("deleted \(path): \(what) at offset 0 (\(tail.bytesCut) bytes): \(tail.reason)")
        } else {
            let descriptor = try openFile(path)
            defer { _ = calls.close(descriptor) }
            let cut = calls.ftruncate(descriptor, tail.offset)
            guard cut == 0 else { throw .io(file: path, operation: "ftruncate", errno: -cut) }
            let synced = calls.fsync(descriptor)
            guard synced == 0 else { throw .syncFailed(file: path, errno: -synced) }
            scans[tail.segmentPosition].fileSize = tail.offset
            scans[tail.segmentPosition].problem = nil
            notes.append("cut \(what) of \(path) at offset \(tail.offset) (\(tail.bytesCut) bytes): \(tail.reason)")
        }
    }

    /// Writes the catch-up marker, merged with the one already pending.
    private mutating func recordCatchUp(_ marker: CatchUpFile.Marker) throws(StorageError) {
        let merged = catchUp.map { $0.merged(withNewer: marker) } ?? marker
        try AtomicFile.write(
            CatchUpFile.encode(merged), name: CatchUpFile.name, directory: scan.directory, calls: calls)
        catchUp = merged
        notes.append(
            "recorded a pending catch-up in \(scan.path(CatchUpFile.name)): entries up to \(merged.possibleEnd) "
                + "may be lost; the server must not vote until it has caught up (then clearCatchUp())")
    }

    /// Keeps the entries after the snapshot when the log holds the snapshot's last entry
    /// (or starts right after it), deleting segments wholly below it; otherwise the
    /// snapshot was installed over a different log and every entry goes. Either way this
    /// finishes what `saveSnapshot` started before a crash.
    private mutating func applySnapshot() throws(StorageError) {
        entries = scans.flatMap(\.entries)
        guard let snapshot = scan.snapshot, let first = scans.first else { return }
        let last = snapshot.lastIndex
        let held = first.firstIndex == last.advanced(by: 1) || entry(at: last)?.term == snapshot.lastTerm
        if held {
            entries.removeAll { $0.index <= last }
            while let oldest = scans.first, oldest.lastIndex <= last {
                try remove(scan.path(oldest.fileName))
                scans.removeFirst()
            }
        } else {
            entries = []
            while let newest = scans.last {
                try remove(scan.path(newest.fileName))
                scans.removeLast()
            }
            notes.append("dropped the log: it does not hold the snapshot's last entry \(last)@\(snapshot.lastTerm)")
        }
    }

    private func entry(at index: LogIndex) -> LogEntry? {
        guard let first = entries.first?.index, index >= first, first.distance(to: index) < entries.count else {
            return nil
        }
        return entries[first.distance(to: index)]
    }

    /// Opens every segment kept and syncs the last one: what recovery returns may have been
    /// in the page cache only (the process crashed, not the machine), and a replica acts on
    /// it. Earlier segments were synced before the next one was created.
    private mutating func openSegments() throws(StorageError) {
        for (position, segmentScan) in scans.enumerated() {
            let path = scan.path(segmentScan.fileName)
            let descriptor = try openFile(path)
            let synced = position == scans.count - 1 ? calls.fsync(descriptor) : 0
            guard synced == 0 else {
                _ = calls.close(descriptor)
                for segment in segments { _ = calls.close(segment.descriptor) }
                throw .syncFailed(file: path, errno: -synced)
            }
            segments.append(
                Segment(
                    firstIndex: segmentScan.firstIndex, path: path, descriptor: descriptor,
                    recordOffsets: segmentScan.recordOffsets, end: segmentScan.goodEnd))
        }
        try syncDirectory()
    }

    private func openFile(_ path: String) throws(StorageError) -> Int32 {
        let descriptor = calls.open(path, SystemCalls.readWrite, 0)
        guard descriptor >= 0 else { throw .io(file: path, operation: "open", errno: -descriptor) }
        return descriptor
    }

    private mutating func remove(_ path: String) throws(StorageError) {
        let removed = calls.unlink(path)
        guard removed == 0 || removed == -Errno.noEntry else {
            throw .io(file: path, operation: "unlink", errno: -removed)
        }
        directoryChanged = true
    }

    private func syncDirectory() throws(StorageError) {
        let synced = calls.syncDirectory(scan.directory)
        guard synced == 0 else { throw .syncFailed(file: scan.directory, errno: synced) }
    }
}
