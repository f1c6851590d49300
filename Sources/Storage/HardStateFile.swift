import SynodCore

/// `DIR/hardstate`: the term, the vote and the commit-index hint, replaced as one atomic
/// write (see `AtomicFile`). Layout: magic "SYNODHST", `UInt32` version, `UInt64` term,
/// `UInt64` votedFor (0 = none), `UInt64` commit hint, CRC32C of all that. Little-endian.
enum HardStateFile {
    static let name = "hardstate"
    static let magic: [UInt8] = Array("SYNODHST".utf8)
    static let formatVersion: UInt32 = 1
    static let size = 8 + 4 + 8 + 8 + 8 + 4

    static func encode(_ state: HardState, commitHint: LogIndex, version: UInt32 = formatVersion) -> [UInt8] {
        var bytes = magic
        appendInteger(version, to: &bytes)
        appendInteger(state.term.rawValue, to: &bytes)
        appendInteger(UInt64(state.votedFor?.rawValue ?? 0), to: &bytes)
        appendInteger(commitHint.rawValue, to: &bytes)
        appendInteger(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes the file's bytes; `path` names it in errors.
    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> (HardState, LogIndex) {
        try checkPreamble(bytes, magic: magic, version: formatVersion, path: path)
        guard bytes.count == size else {
            throw .corrupt(
                file: path, offset: Int64(min(bytes.count, size)),
                reason: "hard state is \(bytes.count) bytes, expected \(size)")
        }
        guard readInteger(UInt32.self, from: bytes, at: size - 4) == CRC32C.checksum(bytes[0..<(size - 4)]) else {
            throw .corrupt(file: path, offset: Int64(size - 4), reason: "hard state checksum mismatch")
        }
        let term = Term(readInteger(UInt64.self, from: bytes, at: 12))
        let vote = readInteger(UInt64.self, from: bytes, at: 20)
        guard vote <= UInt64(Int.max) else {
            throw .corrupt(file: path, offset: 20, reason: "vote \(vote) is not a node id")
        }
        let commitHint = LogIndex(readInteger(UInt64.self, from: bytes, at: 28))
        return (HardState(term: term, votedFor: vote == 0 ? nil : NodeID(Int(vote))), commitHint)
    }
}

/// Checks a metadata file's magic and format version, the part every version shares.
func checkPreamble(_ bytes: [UInt8], magic: [UInt8], version: UInt32, path: String) throws(StorageError) {
    guard bytes.count >= magic.count + 4 else {
        throw .corrupt(file: path, offset: Int64(bytes.count), reason: "file is too short (\(bytes.count) bytes)")
    }
    guard Array(bytes[0..<magic.count]) == magic else {
        throw .corrupt(file: path, offset: 0, reason: "bad magic")
    }
    let found = readInteger(UInt32.self, from: bytes, at: magic.count)
    guard found == version else { throw .unknownFormatVersion(file: path, version: found) }
}
