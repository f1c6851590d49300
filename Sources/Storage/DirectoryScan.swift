import SynodCore

/// Everything on disk in a log directory, read without changing a byte, and every
/// damage judged by `classifyDamage`: the common ground of recovery (which then acts)
/// and inspection (which only reports).
struct DirectoryScan {
    /// One problem found, with recovery's verdict on it.
    struct Finding {
        var path: String
        var offset: Int64
        var reason: String
        var verdict: DamageVerdict
        /// What recovery throws for it (when the verdict is `.corrupt`).
        var error: StorageError
    }

    /// Damage at the end of the last segment that recovery may cut away.
    struct Tail {
        var segmentPosition: Int
        var offset: Int64
        var verdict: DamageVerdict
        var reason: String
        /// An upper bound on the last index the log held before the damage.
        var possibleEnd: LogIndex
        var bytesCut: Int64
        /// The segment's own header is damaged: the whole file goes.
        var deletesFile: Bool
    }

    var directory: String
    var hardState: HardState?
    var commitHint: LogIndex = .zero
    var snapshot: Snapshot?
    /// A rejoin without a vote still pending from an earlier recovery (`DIR/catchup`).
    var catchUp: CatchUpFile.Marker?
    var segments: [SegmentScan] = []
    var temporaryFiles: [String] = []
    var findings: [Finding] = []
    var tail: Tail?
    /// What recovery must throw, in its order: hard state, snapshot, catch-up marker,
    /// segments.
    var firstError: StorageError?

    func path(_ name: String) -> String { directory + "/" + name }

    static func read(directory: String, calls: SystemCalls, maxRecordSize: Int) -> DirectoryScan {
        var scan = DirectoryScan(directory: directory)
        let names: [String]
        switch calls.listDirectory(directory) {
        case .success(let listed): names = listed.sorted()
        case .failure(let error):
            scan.record(
                Finding(
                    path: directory, offset: 0, reason: "cannot list the directory (errno \(error.code))",
                    verdict: .corrupt,
                    error: .io(file: directory, operation: "list", errno: error.code)))
            return scan
        }
        scan.temporaryFiles = names.filter { $0.hasSuffix(AtomicFile.temporarySuffix) }
        scan.readHardState(calls: calls)
        scan.readSnapshot(calls: calls)
        scan.readCatchUp(calls: calls)
        let segmentNames = names.compactMap { name in SegmentFile.firstIndex(fromName: name).map { (name, $0) } }
            .sorted { $0.1 < $1.1 }
        for (name, firstIndex) in segmentNames {
            switch calls.readFile(scan.path(name)) {
            case .success(let bytes):
                scan.segments.append(
                    SegmentScan.scan(bytes ?? [], fileName: name, firstIndex: firstIndex, maxRecordSize: maxRecordSize))
            case .failure(let error):
                scan.record(
                    Finding(
                        path: scan.path(name), offset: 0, reason: "cannot read (errno \(error.code))",
                        verdict: .corrupt,
                        error: .io(file: scan.path(name), operation: "read", errno: error.code)))
                return scan
            }
        }
        scan.judgeSegments()
        return scan
    }

    private mutating func record(_ finding: Finding) {
        findings.append(finding)
        if finding.verdict == .corrupt && firstError == nil { firstError = finding.error }
    }

    private mutating func readHardState(calls: SystemCalls) {
        let file = path(HardStateFile.name)
        do throws(StorageError) {
            guard let bytes = try readMetadata(file, calls: calls) else { return }
            (hardState, commitHint) = try HardStateFile.decode(bytes, path: file)
        } catch {
            record(Self.finding(for: error, path: file))
        }
    }

    private mutating func readSnapshot(calls: SystemCalls) {
        let file = path(SnapshotFile.name)
        do throws(StorageError) {
            guard let bytes = try readMetadata(file, calls: calls) else { return }
            snapshot = try SnapshotFile.decode(bytes, path: file)
        } catch {
            record(Self.finding(for: error, path: file))
        }
    }

    private mutating func readCatchUp(calls: SystemCalls) {
        let file = path(CatchUpFile.name)
        do throws(StorageError) {
            guard let bytes = try readMetadata(file, calls: calls) else { return }
            catchUp = try CatchUpFile.decode(bytes, path: file)
        } catch {
            record(Self.finding(for: error, path: file))
        }
    }

    private func readMetadata(_ file: String, calls: SystemCalls) throws(StorageError) -> [UInt8]? {
        switch calls.readFile(file) {
        case .success(let bytes): return bytes
        case .failure(let error): throw .io(file: file, operation: "read", errno: error.code)
        }
    }

    private static func finding(for error: StorageError, path: String) -> Finding {
        switch error {
        case .corrupt(_, let offset, let reason):
            return Finding(path: path, offset: offset, reason: reason, verdict: .corrupt, error: error)
        case .unknownFormatVersion(_, let version):
            return Finding(
                path: path, offset: 8, reason: "unknown format version \(version)", verdict: .corrupt, error: error)
        default:
            return Finding(path: path, offset: 0, reason: error.description, verdict: .corrupt, error: error)
        }
    }

    /// Checks that the segments continue the snapshot and one another, and judges the
    /// first problem of each.
    private mutating func judgeSegments() {
        let base = snapshot?.lastIndex ?? .zero
        // Unknown after a damaged segment: its true end cannot be read.
        var expected: LogIndex? = base.advanced(by: 1)
        for (position, segment) in segments.enumerated() {
            let file = path(segment.fileName)
            if let expected, position == 0 ? segment.firstIndex > expected : segment.firstIndex != expected {
                let reason = "expected a segment starting at index \(expected), found \(segment.firstIndex)"
                record(
                    Finding(
                        path: file, offset: 0, reason: reason, verdict: .corrupt,
                        error: .gap(file: file, expected: expected, found: segment.firstIndex)))
            }
            guard let (offset, problem) = segment.problem else {
                expected = segment.lastIndex.advanced(by: 1)
                continue
            }
            expected = nil
            switch problem {
            case .unknownVersion(let version):
                record(
                    Finding(
                        path: file, offset: 8, reason: "unknown segment format version \(version)", verdict: .corrupt,
                        error: .unknownFormatVersion(file: file, version: version)))
            case .invalid(let reason):
                record(
                    Finding(
                        path: file, offset: offset, reason: reason, verdict: .corrupt,
                        error: .corrupt(file: file, offset: offset, reason: reason)))
            case .damage(let damage, let follows, var reason):
                let isLast = position == segments.count - 1
                var verdict = classifyDamage(damage, inLastSegment: isLast, validRecordsFollow: follows)
                let firstDropped = segment.lastIndex.advanced(by: 1)
                if verdict == .tornTail, firstDropped <= commitHint, commitHint > base {
                    verdict = .ambiguousTail
                    reason += "; the cut would drop index \(firstDropped), within the commit hint \(commitHint)"
                }
                if verdict == .corrupt {
                    if follows {
                        reason += ", and data follows it"
                    } else if !isLast {
                        reason += " (not the last segment)"
                    }
                }
                record(
                    Finding(
                        path: file, offset: offset, reason: reason, verdict: verdict,
                        error: .corrupt(file: file, offset: offset, reason: reason)))
                if verdict != .corrupt {
                    let bytes = segment.fileSize - offset
                    let minimum = Int64(RecordFormat.minimumRecordSize)
                    let lost = Int((bytes + minimum - 1) / minimum)
                    tail = Tail(
                        segmentPosition: position, offset: offset, verdict: verdict, reason: reason,
                        possibleEnd: segment.lastIndex.advanced(by: lost), bytesCut: bytes, deletesFile: offset == 0)
                }
            }
        }
    }
}
