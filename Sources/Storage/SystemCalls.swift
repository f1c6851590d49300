#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system calls the Write-Ahead Log makes, gathered behind one seam so that tests can
/// inject the failures a real disk produces (EIO on a sync, ENOSPC on a write). Each call
/// returns its result, or `-errno` on failure, so no caller reads a thread-local `errno`.
struct SystemCalls: Sendable {
    var open: @Sendable (_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32
    var close: @Sendable (_ descriptor: Int32) -> Int32
    var pwrite: @Sendable (_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, _ offset: Int64) -> Int
    var pread: @Sendable (_ descriptor: Int32, _ into: UnsafeMutableRawBufferPointer, _ offset: Int64) -> Int
    /// Flushes a file's data (and the size needed to read it back).
    var fdatasync: @Sendable (_ descriptor: Int32) -> Int32
    /// Flushes a file or a directory entirely.
    var fsync: @Sendable (_ descriptor: Int32) -> Int32
    var ftruncate: @Sendable (_ descriptor: Int32, _ length: Int64) -> Int32
    var fileSize: @Sendable (_ descriptor: Int32) -> Int64
    var rename: @Sendable (_ from: String, _ to: String) -> Int32
    var unlink: @Sendable (_ path: String) -> Int32
    var mkdir: @Sendable (_ path: String) -> Int32
    /// The names in a directory (without "." and ".."), or `-errno`.
    var listDirectory: @Sendable (_ path: String) -> Result<[String], SystemError>

    /// The real calls.
    static let live = SystemCalls(
        open: { path, flags, mode in systemOpen(path, flags, mode) },
        close: { descriptor in systemClose(descriptor) },
        pwrite: { descriptor, bytes, offset in systemPwrite(descriptor, bytes, offset) },
        pread: { descriptor, into, offset in systemPread(descriptor, into, offset) },
        fdatasync: { descriptor in systemFdatasync(descriptor) },
        fsync: { descriptor in systemFsync(descriptor) },
        ftruncate: { descriptor, length in systemFtruncate(descriptor, length) },
        fileSize: { descriptor in systemFileSize(descriptor) },
        rename: { from, to in systemRename(from, to) },
        unlink: { path in systemUnlink(path) },
        mkdir: { path in systemMkdir(path) },
        listDirectory: { path in systemListDirectory(path) }
    )
}

// The calls themselves, at file scope where the C names are not shadowed by the seam's.

private func check(_ result: Int32) -> Int32 { result < 0 ? -errno : result }

private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    check(open(path, flags | O_CLOEXEC, mode))
}

private func systemClose(_ descriptor: Int32) -> Int32 { check(close(descriptor)) }

private func systemPwrite(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, _ offset: Int64) -> Int {
    let written = pwrite(descriptor, bytes.baseAddress, bytes.count, off_t(offset))
    return written < 0 ? -Int(errno) : written
}

private func systemPread(_ descriptor: Int32, _ into: UnsafeMutableRawBufferPointer, _ offset: Int64) -> Int {
    let read = pread(descriptor, into.baseAddress, into.count, off_t(offset))
    return read < 0 ? -Int(errno) : read
}

private func systemFdatasync(_ descriptor: Int32) -> Int32 {
    #if canImport(Darwin)
        check(fsync(descriptor))
    #else
        check(fdatasync(descriptor))
    #endif
}

private func systemFsync(_ descriptor: Int32) -> Int32 { check(fsync(descriptor)) }

private func systemFtruncate(_ descriptor: Int32, _ length: Int64) -> Int32 {
    check(ftruncate(descriptor, off_t(length)))
}

private func systemFileSize(_ descriptor: Int32) -> Int64 {
    var status = stat()
    return fstat(descriptor, &status) == 0 ? Int64(status.st_size) : -Int64(errno)
}

private func systemRename(_ from: String, _ to: String) -> Int32 { check(rename(from, to)) }

private func systemUnlink(_ path: String) -> Int32 { check(unlink(path)) }

private func systemMkdir(_ path: String) -> Int32 { check(mkdir(path, 0o755)) }

private func systemListDirectory(_ path: String) -> Result<[String], SystemError> {
    guard let directory = opendir(path) else { return .failure(SystemError(errno)) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return .success(names)
}

/// An `errno` value carried as an error.
struct SystemError: Error, Sendable, Equatable {
    var code: Int32
    init(_ code: Int32) { self.code = code }
}

/// Errno values the log reacts to, named once.
enum Errno {
    static let noSpace = ENOSPC
    static let io = EIO
    static let noEntry = ENOENT
    static let exists = EEXIST
}

extension SystemCalls {
    /// Opening flags for segment and metadata files.
    static let readWrite = O_RDWR
    static let readOnly = O_RDONLY
    static let createReadWrite = O_RDWR | O_CREAT | O_TRUNC
    static let directoryFlags = O_RDONLY | O_DIRECTORY

    /// Writes every byte of `bytes` at `offset`, retrying short writes; returns 0 or an errno.
    func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) -> Int32 {
        var done = 0
        while done < bytes.count {
            let result = pwrite(descriptor, UnsafeRawBufferPointer(rebasing: bytes[done...]), offset + Int64(done))
            if result < 0 {
                if Int32(-result) == EINTR { continue }
                return Int32(-result)
            }
            if result == 0 { return Errno.noSpace }
            done += result
        }
        return 0
    }

    /// Reads `count` bytes at `offset`; fewer only if the file ends first.
    func readAll(_ descriptor: Int32, count: Int, at offset: Int64) -> Result<[UInt8], SystemError> {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let result = pread(
                    descriptor, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), offset + Int64(done))
                if result < 0 {
                    if Int32(-result) == EINTR { continue }
                    failure = Int32(-result)
                    return
                }
                if result == 0 { return }
                done += result
            }
        }
        if failure != 0 { return .failure(SystemError(failure)) }
        if done < count { bytes.removeSubrange(done...) }
        return .success(bytes)
    }

    /// The whole content of the file at `path`, or nil when there is no such file.
    func readFile(_ path: String) -> Result<[UInt8]?, SystemError> {
        let descriptor = open(path, Self.readOnly, 0)
        if descriptor == -Errno.noEntry { return .success(nil) }
        guard descriptor >= 0 else { return .failure(SystemError(-descriptor)) }
        defer { _ = close(descriptor) }
        let size = fileSize(descriptor)
        guard size >= 0 else { return .failure(SystemError(Int32(-size))) }
        return readAll(descriptor, count: Int(size), at: 0).map { $0 }
    }

    /// Makes the directory's entries (created, renamed, deleted files) durable.
    func syncDirectory(_ path: String) -> Int32 {
        let descriptor = open(path, Self.directoryFlags, 0)
        guard descriptor >= 0 else { return -descriptor }
        defer { _ = close(descriptor) }
        let result = fsync(descriptor)
        return result < 0 ? -result : 0
    }
}
