import SynodCore

extension FileStorage {
    /// Drops the entry at `index` and every later one (Raft's conflicting suffix). Pending
    /// appends are synced first; then later segments are deleted newest first and the
    /// segment holding `index` is cut at that record, so a crash midway leaves a prefix.
    /// - Throws: `.misuse` when `index` is at or below the snapshot, or past the end.
    public func truncate(from index: LogIndex) throws(StorageError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        try drainLocked()  // first, so the checks below see the log as it will stay
        guard index > snapshotIndex else {
            throw .misuse("truncate from \(index): entries up to \(snapshotIndex) are in the snapshot")
        }
        guard index <= nextIndex else {
            throw .misuse("truncate from \(index): the log ends at \(nextIndex.advanced(by: -1))")
        }
        guard index < nextIndex else { return }
        var deleted = false
        while let last = segments.last, last.firstIndex >= index {
            try deleteSegmentLocked(last)
            segments.removeLast()
            deleted = true
        }
        if deleted { try syncDirectoryLocked() }
        if let segment = segments.last, segment.lastIndex >= index {
            let position = segment.firstIndex.distance(to: index)
            let offset = segment.recordOffsets[position]
            let cut = calls.ftruncate(segment.descriptor, offset)
            guard cut == 0 else { throw failLocked(.io(file: segment.path, operation: "ftruncate", errno: -cut)) }
            let synced = calls.fsync(segment.descriptor)
            guard synced == 0 else { throw failLocked(.syncFailed(file: segment.path, errno: -synced)) }
            syncs += 1
            segment.recordOffsets.removeSubrange(position...)
            segment.endOffset = offset
            segment.writtenEnd = offset
            segment.syncedEnd = offset
        }
        nextIndex = index
    }

    /// Closes and deletes a segment's file. A failure stops the store: its files would
    /// no longer match what it believes.
    func deleteSegmentLocked(_ segment: Segment) throws(StorageError) {
        if segment.descriptor >= 0 {
            _ = calls.close(segment.descriptor)
            segment.descriptor = -1
        }
        let removed = calls.unlink(segment.path)
        guard removed == 0 || removed == -Errno.noEntry else {
            throw failLocked(.io(file: segment.path, operation: "unlink", errno: -removed))
        }
    }

    /// Makes created and deleted directory entries durable.
    func syncDirectoryLocked() throws(StorageError) {
        let synced = calls.syncDirectory(directory)
        guard synced == 0 else { throw failLocked(.syncFailed(file: directory, errno: synced)) }
    }
}
