import Foundation
import Histogram

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The p50 and p99 of one bench row's latencies (HdrHistogram, three significant digits,
/// as `synod bench kv` records them).
struct LatencySummary: Sendable {
    var count: Int
    /// Seconds.
    var p50: Double
    var p99: Double

    init(_ samples: [Double]) {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for seconds in samples { histogram.record(UInt64(max(0, seconds * 1e9))) }
        count = samples.count
        p50 = samples.isEmpty ? 0 : Double(histogram.valueAtPercentile(50)) / 1e9
        p99 = samples.isEmpty ? 0 : Double(histogram.valueAtPercentile(99)) / 1e9
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
