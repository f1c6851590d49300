import Storage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fastest a durable append can be on this disk: one 4 KiB `pwrite` at the end of a
/// fresh file, then `fdatasync`, in a loop. Any Write-Ahead Log pays at least this per
/// sync; the WAL bench rows are read against it.
enum RawSyncFloor {
    struct Result: Sendable {
        var latencies: LatencySummary
        var operations: Int
        /// Seconds, from the first write to the last sync.
        var elapsed: Double

        var rate: Double { elapsed > 0 ? Double(operations) / elapsed : 0 }
    }

    static let blockSize = 4096

    /// Appends and syncs blocks to `path` (created, truncated, and removed afterwards)
    /// until `seconds` have passed or `limit` blocks are written, whichever comes first.
    static func measure(path: String, seconds: Double, limit: Int) throws(StorageError) -> Result {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(file: path, operation: "open", errno: errno) }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0xA5, count: blockSize)
        var samples: [Double] = []
        samples.reserveCapacity(min(limit, 1 << 16))
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        var now = start
        var offset: off_t = 0
        while samples.count < limit, now < deadline {
            let before = now
            let written = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, blockSize, offset) }
            guard written == blockSize else {
                throw .io(file: path, operation: written < 0 ? "pwrite" : "short pwrite", errno: errno)
            }
            guard dataSync(descriptor) == 0 else { throw .syncFailed(file: path, errno: errno) }
            now = monotonicNanoseconds()
            samples.append(Double(now - before) / 1e9)
            offset += off_t(blockSize)
        }
        return Result(latencies: LatencySummary(samples), operations: samples.count, elapsed: Double(now - start) / 1e9)
    }
}

/// `fdatasync`, or `fsync` where there is none (Darwin).
private func dataSync(_ descriptor: Int32) -> Int32 {
    #if canImport(Darwin)
        fsync(descriptor)
    #else
        fdatasync(descriptor)
    #endif
}
