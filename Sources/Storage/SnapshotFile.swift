import SynodCore

/// `DIR/snapshot`: the newest snapshot, replaced as one atomic write. Layout: magic
/// "SYNODSNP", `UInt32` version, `UInt64` last index, `UInt64` last term, `UInt64` data
/// length, the data, CRC32C of all that. Little-endian.
enum SnapshotFile {
    static let name = "snapshot"
    static let magic: [UInt8] = Array("SYNODSNP".utf8)
    static let formatVersion: UInt32 = 1
    /// Everything but the data.
    static let fixedSize = 8 + 4 + 8 + 8 + 8 + 4

    static func encode(_ snapshot: Snapshot, version: UInt32 = formatVersion) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(fixedSize + snapshot.data.count)
        appendInteger(version, to: &bytes)
        appendInteger(snapshot.lastIndex.rawValue, to: &bytes)
        appendInteger(snapshot.lastTerm.rawValue, to: &bytes)
        appendInteger(UInt64(snapshot.data.count), to: &bytes)
        bytes.append(contentsOf: snapshot.data)
        appendInteger(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes the file's bytes; `path` names it in errors.
    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> Snapshot {
        try checkPreamble(bytes, magic: magic, version: formatVersion, path: path)
        guard bytes.count >= fixedSize else {
            throw .corrupt(file: path, offset: Int64(bytes.count), reason: "snapshot header is cut short")
        }
        let length = readInteger(UInt64.self, from: bytes, at: 28)
        guard length == UInt64(bytes.count - fixedSize) else {
            throw .corrupt(
                file: path, offset: 28,
                reason: "snapshot claims \(length) data bytes, file holds \(bytes.count - fixedSize)")
        }
        let checksumOffset = bytes.count - 4
        guard readInteger(UInt32.self, from: bytes, at: checksumOffset) == CRC32C.checksum(bytes[0..<checksumOffset])
        else {
            throw .corrupt(file: path, offset: Int64(checksumOffset), reason: "snapshot checksum mismatch")
        }
        return Snapshot(
            lastIndex: LogIndex(readInteger(UInt64.self, from: bytes, at: 12)),
            lastTerm: Term(readInteger(UInt64.self, from: bytes, at: 20)),
            data: Array(bytes[36..<checksumOffset])
        )
    }
}
