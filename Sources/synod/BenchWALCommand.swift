import ArgumentParser
import Foundation
import Storage

/// `synod bench wal`: what a durable append costs on this machine's disk, against the
/// floor the disk itself sets, and how group commit shares syncs among appenders.
///
/// Exit codes: 0 once the table is printed (an aim missed is a figure, not a failure),
/// 1 on a storage error, 2 on bad arguments.
struct BenchWALCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "Durable appends per second and their latency, against the disk's raw fdatasync floor.",
        discussion: """
            Measures, in order: the raw floor (4 KiB pwrite at the end of a fresh file, then \
            fdatasync, in a loop), then the Write-Ahead Log with 1, 8 and 64 appender threads, each \
            looping "enqueue one 256-byte record, wait until it is durable". Every row stops after \
            --seconds or --records appends, whichever comes first, and uses a fresh WAL. Without \
            --dir everything happens in a temporary directory that is removed afterwards; with --dir \
            (which must be empty or absent) the 64-appender WAL is left in DIR for `synod wal inspect \
            DIR`, and the other rows run in DIR/bench-1 and DIR/bench-8, removed after their row. \
            Build in release mode: swift run -c release synod bench wal
            """
    )

    @Option(help: "Run here and keep the 64-appender WAL (default: a temporary directory, removed).")
    var dir: String?

    @Option(
        parsing: .unconditional, help: "The most seconds one row may run (above 0, at most 3600). (default: 2.0)",
        transform: Limit.seconds(atMost: 3_600))
    var seconds = 2.0

    @Option(
        parsing: .unconditional, help: "The most appends one row may make, 1...10000000. (default: 20000)",
        transform: Limit.whole(1...10_000_000))
    var records = 20_000

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "WAL segment size in bytes, 4096...1073741824 (default: 1 MiB, smaller when --records is small).",
            discussion: "The default leaves about eight segments or more behind a full row."),
        transform: Limit.whole(4_096...(1 << 30)))
    var segmentSize: Int?

    static let appenderCounts = [1, 8, 64]
    static let defaultSegmentSize = 1 << 20

    /// The segment size: as given, else 1 MiB or an eighth of a full row's bytes,
    /// whichever is smaller, so that even a tiny run leaves several segments.
    var effectiveSegmentSize: Int {
        if let segmentSize { return segmentSize }
        let eighth = records * (WALBenchRow.recordBytes + 64) / 8
        return min(Self.defaultSegmentSize, max(4096, eighth / 4096 * 4096))
    }

    func run() throws {
        let workspace = try Workspace(requested: dir)
        defer { workspace.cleanUp() }
        var output = StandardStream.output
        let fileSystem = fileSystemDescription(of: workspace.root).map { " (\($0))" } ?? ""
        print(
            "synod bench wal: \(workspace.root)\(fileSystem), segments of \(formatGrouped(effectiveSegmentSize)) bytes, "
                + "\(WALBenchRow.recordBytes)-byte records, each row at most \(formatFixed(seconds, decimals: 1))s "
                + "and \(formatGrouped(records)) appends",
            to: &output)
        #if DEBUG
            print(
                "warning: this is a debug build and its figures mean little; "
                    + "run: swift run -c release synod bench wal",
                to: &output)
        #endif
        if fileSystem.contains("tmpfs") {
            print(
                "warning: tmpfs keeps nothing on disk and its fdatasync is free; use --dir on a real disk", to: &output)
        }
        print(Self.header, to: &output)
        do throws(StorageError) {
            let raw = try RawSyncFloor.measure(
                path: workspace.root + "/raw-floor", seconds: seconds, limit: records)
            print(
                Self.line(
                    "raw floor (4 KiB)", count: raw.operations, rate: raw.rate, latencies: raw.latencies,
                    syncsPerSecond: raw.rate, recordsPerSync: 1),
                to: &output)
            var rows: [WALBenchRow] = []
            for appenders in Self.appenderCounts {
                let directory = workspace.directory(
                    forAppenders: appenders, last: appenders == Self.appenderCounts.last)
                defer { workspace.finished(directory) }
                let row = try WALBenchRow.measure(
                    directory: directory, appenders: appenders, seconds: seconds, limit: records,
                    options: FileStorage.Options(segmentSize: effectiveSegmentSize))
                print(
                    Self.line(
                        "WAL, \(appenders) appender\(appenders == 1 ? "" : "s")", count: row.appends,
                        rate: row.rate, latencies: row.latencies, syncsPerSecond: row.syncsPerSecond,
                        recordsPerSync: row.recordsPerSync),
                    to: &output)
                rows.append(row)
            }
            print("", to: &output)
            let one = rows[0]
            let many = rows[rows.count - 1]
            print(
                "ratio".rightPadded(to: 40) + "measured".leftPadded(to: 10) + "aim".leftPadded(to: 9) + "  met",
                to: &output)
            print(
                Self.ratioLine(
                    "1 appender p50 / raw p50", one.latencies.p50, over: raw.latencies.p50, aim: "≤ 1.2×",
                    met: { $0 <= 1.2 }),
                to: &output)
            print(
                Self.ratioLine(
                    "64 appenders rate / 1 appender rate", many.rate, over: one.rate, aim: "≥ 20×",
                    met: { $0 >= 20 }),
                to: &output)
        } catch {
            var standardError = StandardStream.error
            print("synod bench wal: \(error)", to: &standardError)
            throw ExitCode(1)
        }
        print("", to: &output)
        print(workspace.keptNote, to: &output)
    }

    static let header =
        "row".rightPadded(to: 22) + "appends".leftPadded(to: 9) + "appends/s".leftPadded(to: 12)
        + "p50".leftPadded(to: 11) + "p99".leftPadded(to: 11) + "syncs/s".leftPadded(to: 10)
        + "records/sync".leftPadded(to: 14)

    static func line(
        _ label: String, count: Int, rate: Double, latencies: LatencySummary, syncsPerSecond: Double,
        recordsPerSync: Double
    ) -> String {
        label.rightPadded(to: 22) + formatGrouped(count).leftPadded(to: 9)
            + formatGrouped(Int(rate.rounded())).leftPadded(to: 12) + formatLatency(latencies.p50).leftPadded(to: 11)
            + formatLatency(latencies.p99).leftPadded(to: 11)
            + formatGrouped(Int(syncsPerSecond.rounded())).leftPadded(to: 10)
            + formatFixed(recordsPerSync, decimals: 1).leftPadded(to: 14)
    }

    static func ratioLine(
        _ label: String, _ numerator: Double, over denominator: Double, aim: String, met: (Double) -> Bool
    ) -> String {
        guard denominator > 0 else {
            return label.rightPadded(to: 40) + "n/a".leftPadded(to: 10) + aim.leftPadded(to: 9) + "  no samples"
        }
        let ratio = numerator / denominator
        return label.rightPadded(to: 40) + (formatFixed(ratio, decimals: 2) + "×").leftPadded(to: 10)
            + aim.leftPadded(to: 9) + (met(ratio) ? "  yes" : "  no")
    }
}

/// Where `synod bench wal` writes: a temporary directory it removes, or the user's
/// `--dir`, where only the last row's WAL stays.
private struct Workspace {
    let root: String
    let isTemporary: Bool

    init(requested: String?) throws {
        let files = FileManager.default
        guard let requested else {
            let template = files.temporaryDirectory.appendingPathComponent("synod-bench-wal-XXXXXX").path
            var bytes = Array(template.utf8CString)
            guard let made = mkdtemp(&bytes) else {
                try Self.fail("cannot create a temporary directory from \(template) (errno \(errno))")
            }
            root = String(cString: made)
            isTemporary = true
            return
        }
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: requested, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { try Self.fail("\(requested) is not a directory") }
            let contents = (try? files.contentsOfDirectory(atPath: requested)) ?? []
            guard contents.isEmpty else {
                try Self.fail("\(requested) is not empty; every row needs a fresh WAL, give an empty or new directory")
            }
        } else {
            do {
                try files.createDirectory(atPath: requested, withIntermediateDirectories: true)
            } catch {
                try Self.fail("cannot create \(requested): \(error.localizedDescription)")
            }
        }
        root = requested
        isTemporary = false
    }

    private static func fail(_ message: String) throws -> Never {
        var standardError = StandardStream.error
        print("synod bench wal: \(message)", to: &standardError)
        throw ExitCode(2)
    }

    /// The directory of a row's WAL: the root itself for the last row, else a
    /// subdirectory that `finished(_:)` removes.
    func directory(forAppenders appenders: Int, last: Bool) -> String {
        last ? root : root + "/bench-\(appenders)"
    }

    /// Removes a finished row's WAL unless it is the one kept in the root.
    func finished(_ directory: String) {
        if directory != root { try? FileManager.default.removeItem(atPath: directory) }
    }

    func cleanUp() {
        if isTemporary { try? FileManager.default.removeItem(atPath: root) }
    }

    var keptNote: String {
        isTemporary
            ? "every WAL was in a temporary directory, now removed (--dir DIR keeps the 64-appender WAL)"
            : "kept: the 64-appender WAL in \(root) (rows 1 and 8 ran in \(root)/bench-1 and \(root)/bench-8, "
                + "removed); look inside with: synod wal inspect \(root)"
    }
}
