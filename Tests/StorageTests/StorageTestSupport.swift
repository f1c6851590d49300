import Foundation
import Synchronization
import SynodCore
import Testing

@testable import Storage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `body` in a fresh directory made by `mkdtemp`, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array((NSTemporaryDirectory() + "synod-storage-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else { throw TestFailure("mkdtemp failed (errno \(errno))") }
    let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A command entry whose bytes tell its index, so a misplaced entry shows.
func entry(_ index: UInt64, term: UInt64 = 1, size: Int = 16) -> LogEntry {
    let data = (0..<size).map { UInt8(truncatingIfNeeded: index &* 31 &+ UInt64($0)) }
    return LogEntry(term: Term(term), index: LogIndex(index), data: data)
}

func entries(_ range: ClosedRange<UInt64>, term: UInt64 = 1, size: Int = 16) -> [LogEntry] {
    range.map { entry($0, term: term, size: size) }
}

/// Small segments so that a few entries span several files: by default 15 records of
/// 40-byte entries (70 bytes each, after a 24-byte segment header) fill one.
func smallSegments(_ size: Int = 1100) -> FileStorage.Options {
    FileStorage.Options(segmentSize: size, maxRecordSize: 64 << 10)
}

/// The segment files of a directory, oldest first.
func segmentFiles(in directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wal") }.sorted()
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Flips one bit of the file at `offset`.
func flipBit(in path: String, at offset: Int64, bit: Int = 0) throws {
    var bytes = try readBytes(path)
    bytes[Int(offset)] ^= UInt8(1 << bit)
    try writeBytes(bytes, to: path)
}

/// Runs `body` and returns the `StorageError` it threw, or nil.
func storageError(_ body: () throws(StorageError) -> Void) -> StorageError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// Switches that make the seam's calls fail, for fault-injection tests.
final class Faults: Sendable {
    struct State {
        var failSyncs = false
        var diskFull = false
        var dataSyncs = 0
    }

    let state = Mutex(State())

    var failSyncs: Bool {
        get { state.withLock { $0.failSyncs } }
        set { state.withLock { $0.failSyncs = newValue } }
    }

    var diskFull: Bool {
        get { state.withLock { $0.diskFull } }
        set { state.withLock { $0.diskFull = newValue } }
    }

    var dataSyncs: Int { state.withLock { $0.dataSyncs } }

    /// The live calls, except that syncs fail with EIO and writes (and file creation)
    /// with ENOSPC while the switches are on.
    var systemCalls: SystemCalls {
        var calls = SystemCalls.live
        let live = SystemCalls.live
        calls.fdatasync = { descriptor in
            let fail = self.state.withLock { state in
                state.dataSyncs += 1
                return state.failSyncs
            }
            return fail ? -EIO : live.fdatasync(descriptor)
        }
        calls.fsync = { descriptor in self.failSyncs ? -EIO : live.fsync(descriptor) }
        calls.pwrite = { descriptor, bytes, offset in
            self.diskFull ? -Int(ENOSPC) : live.pwrite(descriptor, bytes, offset)
        }
        calls.open = { path, flags, mode in
            self.diskFull && flags & O_CREAT != 0 ? -ENOSPC : live.open(path, flags, mode)
        }
        return calls
    }
}

/// The names in `directory`.
func directoryNames(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
}

func removeFile(_ path: String) throws {
    try FileManager.default.removeItem(atPath: path)
}
