/// Replaces a small file so that a crash leaves either the old or the new content, never
/// a mix: write `name.tmp`, fsync it, rename it over `name`, fsync the directory (which
/// makes the rename itself durable). Recovery deletes a leftover `.tmp`.
enum AtomicFile {
    static let temporarySuffix = ".tmp"

    /// Writes `bytes` as `directory/name`. A failed fsync is `.syncFailed` (fatal to the
    /// caller); no space is `.diskFull`, and the old file is then still in place.
    static func write(
        _ bytes: [UInt8], name: String, directory: String, calls: SystemCalls
    ) throws(StorageError) {
        let path = directory + "/" + name
        let temporary = path + temporarySuffix
        let descriptor = calls.open(temporary, SystemCalls.createReadWrite, 0o644)
        guard descriptor >= 0 else {
            if -descriptor == Errno.noSpace { throw .diskFull(file: temporary) }
            throw .io(file: temporary, operation: "open", errno: -descriptor)
        }
        let written = bytes.withUnsafeBytes { calls.writeAll(descriptor, $0, at: 0) }
        if written != 0 {
            _ = calls.close(descriptor)
            _ = calls.unlink(temporary)
            if written == Errno.noSpace { throw .diskFull(file: temporary) }
            throw .io(file: temporary, operation: "write", errno: written)
        }
        let synced = calls.fsync(descriptor)
        _ = calls.close(descriptor)
        guard synced == 0 else { throw .syncFailed(file: temporary, errno: -synced) }
        let renamed = calls.rename(temporary, path)
        guard renamed == 0 else { throw .io(file: path, operation: "rename", errno: -renamed) }
        let directorySynced = calls.syncDirectory(directory)
        guard directorySynced == 0 else { throw .syncFailed(file: directory, errno: directorySynced) }
    }
}
