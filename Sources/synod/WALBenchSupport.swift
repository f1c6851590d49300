import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The p50 and p99 of one bench row's latencies, found by sorting: a row holds at most
/// `--records` samples, so a histogram would buy nothing.
struct LatencySummary: Sendable {
    var count: Int
    /// Seconds.
    var p50: Double
    var p99: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        p50 = Self.percentile(0.50, of: sorted)
        p99 = Self.percentile(0.99, of: sorted)
    }

    /// The nearest-rank percentile of sorted samples (0 when there are none).
    static func percentile(_ fraction: Double, of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

/// Nanoseconds on the monotonic clock: two calls per measured operation, so it must be
/// cheap (one `clock_gettime`, no allocation).
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// `seconds` as a latency figure: `0.4 µs`, `85 µs`, `4.03 ms`.
func formatLatency(_ seconds: Double) -> String {
    if seconds < 10e-6 { return formatFixed(seconds * 1e6, decimals: 1) + " µs" }
    if seconds < 1e-3 { return formatFixed(seconds * 1e6, decimals: 0) + " µs" }
    return formatFixed(seconds * 1e3, decimals: 2) + " ms"
}

/// The file system that holds `path`, as /proc/mounts (or `statfs` on Darwin) names it:
/// `ext4 on /dev/vda mounted at /`. Nil when it cannot be told.
func fileSystemDescription(of path: String) -> String? {
    #if canImport(Darwin)
        var info = statfs()
        guard statfs(path, &info) == 0 else { return nil }
        let type = withUnsafeBytes(of: info.f_fstypename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let mount = withUnsafeBytes(of: info.f_mntonname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(type) mounted at \(mount)"
    #else
        guard let resolved = realpath(path, nil) else { return nil }
        let absolute = String(cString: resolved)
        free(resolved)
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
        var best: (mountPoint: String, type: String, device: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            // /proc/mounts escapes spaces in mount points as \040.
            let mountPoint = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            let inside =
                mountPoint == "/" || absolute == mountPoint || absolute.hasPrefix(mountPoint + "/")
            // The last matching line wins on a tie: it is the mount on top.
            if inside, mountPoint.count >= best?.mountPoint.count ?? 0 {
                best = (mountPoint, String(fields[2]), String(fields[0]))
            }
        }
        return best.map { "\($0.type) on \($0.device) mounted at \($0.mountPoint)" }
    #endif
}

/// Runs `body(0..<count)` on `count` OS threads at once and returns when all are done.
/// Each appender blocks in `fdatasync`: it needs its own thread, not a task of a pool
/// sized to the cores.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for number in 0..<count {
        group.enter()
        let thread = Thread {
            body(number)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}
