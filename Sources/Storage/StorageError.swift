import SynodCore

/// Why a store refused to open or to write. Every case names the file (and, for damage,
/// the byte offset) so that an operator can find it.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A record or file failed its checksum, or its framing makes no sense.
    case corrupt(file: String, offset: Int64, reason: String)
    /// The segments do not continue one another: a segment is missing or out of order.
    case gap(file: String, expected: LogIndex, found: LogIndex)
    /// A file written by a format this build does not know.
    case unknownFormatVersion(file: String, version: UInt32)
    /// A sync failed. Fatal: the kernel may have dropped the data, retrying could
    /// acknowledge writes that are not on disk.
    case syncFailed(file: String, errno: Int32)
    /// No space left: new writes are refused; what is stored stays readable.
    case diskFull(file: String)
    /// Any other system call failure.
    case io(file: String, operation: String, errno: Int32)
    /// A caller broke the contract (an append that leaves a gap, a truncation below the
    /// snapshot...). A bug, not a disk problem.
    case misuse(String)
    /// The store was closed, or stopped after a fatal error.
    case closed

    public var description: String {
        switch self {
        case .corrupt(let file, let offset, let reason): "corrupt data in \(file) at offset \(offset): \(reason)"
        case .gap(let file, let expected, let found):
            "log gap at \(file): expected index \(expected), found \(found) (a segment is missing)"
        case .unknownFormatVersion(let file, let version): "\(file) has unknown format version \(version)"
        case .syncFailed(let file, let errno): "fsync of \(file) failed (errno \(errno)); stopping"
        case .diskFull(let file): "disk full while writing \(file); writes refused, reads still served"
        case .io(let file, let operation, let errno): "\(operation) of \(file) failed (errno \(errno))"
        case .misuse(let reason): "storage misuse: \(reason)"
        case .closed: "storage is closed"
        }
    }
}
