import SynodCore

extension FileStorage {
    /// Stores `snapshot` atomically and moves the Low-Water Mark to its last index.
    /// Pending appends are synced first. If the log holds `lastIndex` with `lastTerm`,
    /// later entries stay and segments wholly covered are deleted (oldest first, so a
    /// crash leaves a contiguous log); otherwise every entry is dropped and the next
    /// append must be `lastIndex + 1`.
    public func saveSnapshot(_ snapshot: Snapshot) throws(StorageError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        try drainLocked()
        guard snapshot.lastIndex >= snapshotIndex else {
            throw .misuse("snapshot at \(snapshot.lastIndex) is older than the one held (\(snapshotIndex))")
        }
        let last = snapshot.lastIndex
        let matches: Bool
        if last == snapshotIndex {
            matches = snapshot.lastTerm == snapshotTerm
        } else if last < nextIndex {
            matches = try readLocked(from: last, upTo: last.advanced(by: 1)).first?.term == snapshot.lastTerm
        } else {
            matches = false
        }
        try writeMetadataLocked(SnapshotFile.encode(snapshot), name: SnapshotFile.name)
        var deleted = false
        if matches {
            while let first = segments.first, first.lastIndex <= last {
                try deleteSegmentLocked(first)
                segments.removeFirst()
                deleted = true
            }
        } else {
            while let newest = segments.last {
                try deleteSegmentLocked(newest)
                segments.removeLast()
                deleted = true
            }
            nextIndex = last.advanced(by: 1)
        }
        if deleted { try syncDirectoryLocked() }
        snapshotIndex = last
        snapshotTerm = snapshot.lastTerm
    }

    /// Replaces the term, vote and commit hint atomically, after syncing pending appends
    /// so that operations reach the disk in the order they were made.
    public func saveHardState(_ state: HardState, commitHint: LogIndex) throws(StorageError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        try drainLocked()
        try writeMetadataLocked(HardStateFile.encode(state, commitHint: commitHint), name: HardStateFile.name)
    }

    /// Writes a metadata file atomically; a failed sync stops the store.
    private func writeMetadataLocked(_ bytes: [UInt8], name: String) throws(StorageError) {
        do {
            try AtomicFile.write(bytes, name: name, directory: directory, calls: calls)
        } catch {
            if case .syncFailed = error { throw failLocked(error) }
            throw error
        }
    }
}
