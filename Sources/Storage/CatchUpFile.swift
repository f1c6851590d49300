import SynodCore

/// `DIR/catchup`: the durable half of a rejoin without a vote. Recovery writes it
/// (atomically, see `AtomicFile`) before it cuts a tail that may have held acknowledged
/// entries, and every later open reports it as `RecoveredState.damage` until
/// `FileStorage.clearCatchUp()` removes it; so a second crash cannot make a server that
/// lost entries vote again before it has caught up.
///
/// Layout: magic "SYNODCUP", `UInt32` version, `UInt64` possible end, `UInt64` term (the
/// hard state's when the damage was found), `Int64` offset of the damage, `UInt32` length
/// and UTF-8 bytes of the damaged file's name (relative to the directory), the same for
/// the reason, CRC32C of all that. Little-endian.
enum CatchUpFile {
    static let name = "catchup"
    static let magic: [UInt8] = Array("SYNODCUP".utf8)
    static let formatVersion: UInt32 = 1
    /// Everything but the two strings.
    static let fixedSize = 8 + 4 + 8 + 8 + 8 + 4 + 4 + 4

    /// What the file records.
    struct Marker: Sendable, Equatable {
        /// An upper bound on the last index the log may have lost.
        var possibleEnd: LogIndex
        /// The hard state's term when the damage was found.
        var term: Term
        /// The damaged segment's name, relative to the directory.
        var file: String
        var offset: Int64
        var reason: String

        /// One marker covering both damages: the larger bounds, the newer place and reason.
        func merged(withNewer newer: Marker) -> Marker {
            var merged = newer
            merged.possibleEnd = max(possibleEnd, newer.possibleEnd)
            merged.term = max(term, newer.term)
            return merged
        }
    }

    static func encode(_ marker: Marker, version: UInt32 = formatVersion) -> [UInt8] {
        let file = Array(marker.file.utf8)
        let reason = Array(marker.reason.utf8)
        var bytes = magic
        bytes.reserveCapacity(fixedSize + file.count + reason.count)
        appendInteger(version, to: &bytes)
        appendInteger(marker.possibleEnd.rawValue, to: &bytes)
        appendInteger(marker.term.rawValue, to: &bytes)
        appendInteger(marker.offset, to: &bytes)
        appendInteger(UInt32(file.count), to: &bytes)
        bytes += file
        appendInteger(UInt32(reason.count), to: &bytes)
        bytes += reason
        appendInteger(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes the file's bytes; `path` names it in errors.
    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> Marker {
        try checkPreamble(bytes, magic: magic, version: formatVersion, path: path)
        guard bytes.count >= fixedSize else {
            throw .corrupt(
                file: path, offset: Int64(bytes.count),
                reason: "catch-up marker is \(bytes.count) bytes, at least \(fixedSize) expected")
        }
        let checksumOffset = bytes.count - 4
        guard readInteger(UInt32.self, from: bytes, at: checksumOffset) == CRC32C.checksum(bytes[0..<checksumOffset])
        else {
            throw .corrupt(file: path, offset: Int64(checksumOffset), reason: "catch-up marker checksum mismatch")
        }
        var position = 36
        func string() throws(StorageError) -> String {
            let length = Int(readInteger(UInt32.self, from: bytes, at: position))
            guard length <= checksumOffset - position - 4 else {
                throw .corrupt(file: path, offset: Int64(position), reason: "catch-up marker string runs past its end")
            }
            position += 4 + length
            return String(decoding: bytes[(position - length)..<position], as: UTF8.self)
        }
        let file = try string()
        let reason = try string()
        guard position == checksumOffset else {
            throw .corrupt(file: path, offset: Int64(position), reason: "catch-up marker has trailing bytes")
        }
        return Marker(
            possibleEnd: LogIndex(readInteger(UInt64.self, from: bytes, at: 12)),
            term: Term(readInteger(UInt64.self, from: bytes, at: 20)), file: file,
            offset: readInteger(Int64.self, from: bytes, at: 28), reason: reason)
    }
}

extension FileStorage {
    /// Ends the rejoin without a vote that recovery recorded: removes `DIR/catchup` and
    /// syncs the directory, so later opens no longer report `RecoveredState.damage` for it.
    /// Call it once the Raft core has left catch-up; a crash before the call only means
    /// catching up again. Pending appends are synced first. A failed sync stops the store.
    ///
    /// ```swift
    /// if wasCatchingUp && !node.isCatchingUp { try storage.clearCatchUp() }
    /// ```
    public func clearCatchUp() throws(StorageError) {
        lock.lock()
        defer { lock.unlock() }
        try checkOpenLocked()
        try drainLocked()
        let path = directory + "/" + CatchUpFile.name
        let removed = calls.unlink(path)
        guard removed == 0 || removed == -Errno.noEntry else {
            throw .io(file: path, operation: "unlink", errno: -removed)
        }
        // Even when the file is already gone: an earlier unlink may not be durable yet.
        try syncDirectoryLocked()
    }
}
