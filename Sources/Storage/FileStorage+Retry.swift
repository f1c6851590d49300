import SynodCore

extension FileStorage {
    /// Performs one replica write (as `perform(hardState:commitHint:truncateFrom:snapshot:entries:)`)
    /// so that performing it again, after the disk refused it or a later write of the
    /// same batch, leaves the log it describes: whatever the log holds from the write's
    /// first entry on (what a refused attempt left written, or a later write appended) is
    /// cut before the entries go in again. On a first attempt the log ends right before
    /// them and nothing is cut, so a full disk's writes can simply be done again, in
    /// order, once there is space.
    public func performRepeatably(
        hardState: HardState?, commitHint: LogIndex, truncateFrom: LogIndex?, snapshot: Snapshot?,
        entries: [LogEntry]
    ) throws(StorageError) {
        var cut = truncateFrom
        if let first = entries.first?.index { cut = min(cut ?? first, first) }
        if let index = cut, index > lastIndex { cut = nil }
        var storage = self
        try storage.perform(
            hardState: hardState, commitHint: commitHint, truncateFrom: cut, snapshot: snapshot, entries: entries)
    }
}
