import SynodCore

/// A read-only report on a log directory: its segments, hard state and snapshot, and
/// every problem recovery would meet, with its verdict. It never changes a file, so it is
/// safe to run on a directory a server refuses to open (`synod wal inspect DIR`).
public struct StorageInspection: Sendable {
    /// One segment file.
    public struct Segment: Sendable, Equatable {
        /// The file name, relative to the directory.
        public var file: String
        public var firstIndex: LogIndex
        /// The last good index, or nil when the segment holds no good record.
        public var lastIndex: LogIndex?
        public var recordCount: Int
        public var bytes: Int64
    }

    /// One problem and what recovery would do about it.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// The file, relative to the directory.
        public var file: String
        /// The byte offset of the damage in the file.
        public var offset: Int64
        public var reason: String
        public var verdict: DamageVerdict

        public var description: String { "\(file) at offset \(offset): \(reason) [\(verdict.label)]" }
    }

    /// The snapshot's metadata (its data is not shown).
    public struct SnapshotSummary: Sendable, Equatable {
        public var lastIndex: LogIndex
        public var lastTerm: Term
        public var bytes: Int
    }

    /// A rejoin without a vote recorded by an earlier recovery (`DIR/catchup`) and not yet
    /// cleared: not damage by itself, since the damage it stands for was cut away.
    public struct CatchUpSummary: Sendable, Equatable, CustomStringConvertible {
        /// An upper bound on the last index the log may have lost.
        public var possibleEnd: LogIndex
        /// The hard state's term when the damage was found.
        public var term: Term
        /// Where the damage was, relative to the directory.
        public var file: String
        public var offset: Int64
        public var reason: String

        public var description: String {
            "entries up to \(possibleEnd) may be lost (\(file) at offset \(offset): \(reason); term \(term))"
        }
    }

    public var directory: String
    public var segments: [Segment]
    public var hardState: HardState?
    public var commitHint: LogIndex?
    public var snapshot: SnapshotSummary?
    public var catchUp: CatchUpSummary?
    public var findings: [Finding]

    /// True when recovery would open the directory without cutting or refusing anything.
    /// A pending catch-up alone leaves it clean; a damaged marker file does not.
    public var isClean: Bool { findings.isEmpty }

    /// A plain table for the terminal: what is there, then what is wrong with it.
    public func render() -> String {
        var lines = ["directory: \(directory)"]
        if let hardState, let commitHint {
            lines.append("hard state: \(hardState), commit hint \(commitHint)")
        } else {
            lines.append("hard state: none")
        }
        if let snapshot {
            lines.append(
                "snapshot: last index \(snapshot.lastIndex), term \(snapshot.lastTerm), \(snapshot.bytes) bytes")
        } else {
            lines.append("snapshot: none")
        }
        if let catchUp { lines.append("catch-up pending: \(catchUp)") }
        lines.append("")
        var table = [["segment", "first", "last", "records", "bytes"]]
        for segment in segments {
            table.append([
                segment.file, "\(segment.firstIndex)", segment.lastIndex.map { "\($0)" } ?? "-",
                "\(segment.recordCount)", "\(segment.bytes)",
            ])
        }
        lines += formatTable(table, rightAligned: [1, 2, 3, 4])
        lines.append("")
        if findings.isEmpty {
            lines.append("clean: \(segments.count) segment(s), no damage")
        } else {
            var problems = [["file", "offset", "verdict", "reason"]]
            for finding in findings {
                problems.append([finding.file, "\(finding.offset)", finding.verdict.label, finding.reason])
            }
            lines += formatTable(problems, rightAligned: [1])
            lines.append("")
            lines.append("NOT CLEAN: \(findings.count) finding(s)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension FileStorage {
    /// Reports on the log in `directory` without changing anything.
    ///
    /// ```swift
    /// let report = FileStorage.inspect(directory: "data/wal")
    /// print(report.render())
    /// ```
    public static func inspect(directory: String) -> StorageInspection {
        inspect(directory: directory, options: Options())
    }

    static func inspect(directory: String, options: Options) -> StorageInspection {
        let scan = DirectoryScan.read(
            directory: directory, calls: options.systemCalls, maxRecordSize: options.maxRecordSize)
        let prefix = directory + "/"
        func relative(_ path: String) -> String { path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path }
        return StorageInspection(
            directory: directory,
            segments: scan.segments.map { segment in
                StorageInspection.Segment(
                    file: segment.fileName, firstIndex: segment.firstIndex,
                    lastIndex: segment.entries.isEmpty ? nil : segment.lastIndex, recordCount: segment.entries.count,
                    bytes: segment.fileSize)
            },
            hardState: scan.hardState, commitHint: scan.hardState == nil ? nil : scan.commitHint,
            snapshot: scan.snapshot.map {
                StorageInspection.SnapshotSummary(lastIndex: $0.lastIndex, lastTerm: $0.lastTerm, bytes: $0.data.count)
            },
            catchUp: scan.catchUp.map {
                StorageInspection.CatchUpSummary(
                    possibleEnd: $0.possibleEnd, term: $0.term, file: $0.file, offset: $0.offset, reason: $0.reason)
            },
            findings: scan.findings.map {
                StorageInspection.Finding(
                    file: relative($0.path), offset: $0.offset, reason: $0.reason, verdict: $0.verdict)
            })
    }
}

extension DamageVerdict {
    /// A short word for tables.
    var label: String {
        switch self {
        case .tornTail: "torn tail"
        case .ambiguousTail: "ambiguous tail"
        case .corrupt: "corrupt"
        }
    }
}

/// Pads each column to its widest cell.
private func formatTable(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            if column == row.count - 1 && !rightAligned.contains(column) { return cell }
            return rightAligned.contains(column) ? padding + cell : cell + padding
        }.joined(separator: "  ")
    }
}
