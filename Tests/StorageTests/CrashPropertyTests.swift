import SynodCore
import Testing

@testable import Storage

/// Random operations with crashes in between, against a model of what was synced: the
/// Write-Ahead Log's promise checked over many seeds. A crash keeps a random part of the
/// unsynced bytes of the newest segment, sometimes garbled (zeros or garbage at its end,
/// or a flipped bit in the length of its last record). Damage reported once stays
/// reported at every reopen until the run clears it, as the server does once caught up.
@Suite("Crash recovery property")
struct CrashPropertyTests {
    static let seeds = Array(UInt64(1)...48)
    static let operationsPerSeed = 60

    @Test("recovery keeps every synced entry and nothing never written", arguments: seeds)
    func randomOperationsAndCrashes(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            var run = CrashRun(seed: seed, directory: directory)
            try run.start()
            for step in 0..<Self.operationsPerSeed {
                run.step = step
                try run.randomOperation()
            }
            try run.crashAndRecover()
        }
    }
}

/// One seeded run: the store, the model, and the generator.
private struct CrashRun {
    let seed: UInt64
    let directory: String
    var generator: SeededGenerator
    let options: FileStorage.Options
    var storage: FileStorage?
    var step = 0

    // The model.
    var base: LogIndex = .zero
    var baseTerm: Term = .zero
    /// The log after `base` as the store holds it, unsynced appends included.
    var written: [LogEntry] = []
    /// The log after `base` as of the last operation that synced.
    var synced: [LogEntry] = []
    var hardState = HardState()
    var commitHint: LogIndex = .zero
    var snapshot: Snapshot?
    var term: UInt64 = 1
    /// The possible end of the damage reported and not yet cleared (`DIR/catchup`).
    var catchUpEnd: LogIndex?

    init(seed: UInt64, directory: String) {
        self.seed = seed
        self.directory = directory
        generator = SeededGenerator(seed: seed)
        var options = FileStorage.Options(
            segmentSize: Int(generator.next(upperBound: 16384 as UInt64)) + 1024, maxRecordSize: 1 << 20)
        options.writeBufferSize = Int(generator.next(upperBound: 6000 as UInt64))
        self.options = options
    }

    var context: Comment {
        "seed \(seed), step \(step): replay with --filter 'randomOperationsAndCrashes' and seed \(seed)"
    }

    var lastIndex: LogIndex { written.last?.index ?? base }

    mutating func start() throws {
        let (storage, recovered) = try FileStorage.open(directory: directory, options: options)
        #expect(recovered == RecoveredState(), context)
        self.storage = storage
    }

    mutating func randomOperation() throws {
        let storage = try #require(storage)
        let roll = generator.next(upperBound: 100 as UInt64)
        switch roll {
        case 0..<40:
            let count = Int(generator.next(upperBound: 4 as UInt64)) + 1
            let batch = (0..<count).map { offset in
                let size = Int(generator.next(upperBound: 2049 as UInt64))
                return LogEntry(term: Term(term), index: lastIndex.advanced(by: offset + 1), data: randomBytes(size))
            }
            try storage.append(batch)
            written += batch
        case 40..<52:
            try storage.sync()
            synced = written
        case 52..<60:
            try storage.flush()
        case 60..<67:
            // Raft never truncates committed entries.
            let lowest = max(base, commitHint).advanced(by: 1)
            guard lowest <= lastIndex else { return }
            let from = LogIndex(
                lowest.rawValue + generator.next(upperBound: UInt64(lowest.distance(to: lastIndex) + 1)))
            try storage.truncate(from: from)
            written.removeAll { $0.index >= from }
            synced = written
            term += 1
        case 67..<74:
            try randomSnapshot(storage)
        case 74..<86:
            hardState = HardState(
                term: Term(max(hardState.term.rawValue, term) + generator.next(upperBound: 2 as UInt64)),
                votedFor: generator.chance(0.3) ? nil : NodeID(Int(generator.next(upperBound: 5 as UInt64)) + 1))
            commitHint = LogIndex(
                commitHint.rawValue + generator.next(upperBound: UInt64(commitHint.distance(to: lastIndex) + 1)))
            try storage.saveHardState(hardState, commitHint: commitHint)
            synced = written
        default:
            try crashAndRecover()
        }
    }

    /// Random bytes, eight per draw.
    private mutating func randomBytes(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) } }
        return Array(bytes.prefix(count))
    }

    private mutating func randomSnapshot(_ storage: FileStorage) throws {
        let data = randomBytes(Int(generator.next(upperBound: 300 as UInt64)))
        if generator.chance(0.75) {
            // At an entry the log holds: later entries stay.
            let last = LogIndex(base.rawValue + generator.next(upperBound: UInt64(base.distance(to: lastIndex) + 1)))
            let lastTerm = last == base ? baseTerm : written[base.distance(to: last) - 1].term
            let image = Snapshot(lastIndex: last, lastTerm: lastTerm, data: data)
            try storage.saveSnapshot(image)
            written.removeAll { $0.index <= last }
            snapshot = image
            (base, baseTerm) = (last, lastTerm)
        } else {
            // From a leader whose log differs here: everything goes (never a committed entry).
            let lowest = max(base, commitHint)
            let last = LogIndex(
                lowest.rawValue + generator.next(upperBound: UInt64(lowest.distance(to: lastIndex) + 5)))
            term += 1
            let image = Snapshot(lastIndex: last, lastTerm: Term(term), data: data)
            try storage.saveSnapshot(image)
            written = []
            snapshot = image
            (base, baseTerm) = (last, Term(term))
        }
        synced = written
    }

    /// Stops using the store, keeps part of the newest segment's unsynced bytes (sometimes
    /// garbling their end), reopens, and checks the recovered state against the model.
    mutating func crashAndRecover() throws {
        let storage = try #require(storage)
        if generator.chance(0.5) { try storage.flush() }
        let states = storage.segmentStates()
        storage.close()
        self.storage = nil
        var garbled = false
        if let newest = states.last(where: { $0.written > 0 }), newest.written > newest.synced {
            let cut = newest.synced + Int64(generator.next(upperBound: UInt64(newest.written - newest.synced + 1)))
            var bytes = Array(try readBytes(newest.path).prefix(Int(cut)))
            if cut > newest.synced && generator.chance(0.4) {
                let starts = [Int64(0)] + newest.recordOffsets
                let start = starts.last { $0 < cut }!
                switch generator.next(upperBound: 3 as UInt64) {
                case 0:
                    // Zeros over the end: space the file system extended but never filled.
                    let count = Int(generator.next(upperBound: UInt64(cut - newest.synced))) + 1
                    bytes.replaceSubrange((bytes.count - count)..., with: [UInt8](repeating: 0, count: count))
                    garbled = true
                case 1:
                    // Garbage inside the last record's payload, which then ends the file.
                    let header = start == 0 ? Int64(SegmentFile.headerSize) : Int64(RecordFormat.headerSize)
                    let lowest = max(start + header, newest.synced)
                    if lowest < cut {
                        let count = Int(generator.next(upperBound: UInt64(cut - lowest))) + 1
                        for position in (bytes.count - count)..<bytes.count {
                            bytes[position] = UInt8.random(in: 0...255, using: &generator)
                        }
                        garbled = true
                    }
                default:
                    // A flipped bit in the length field of the last record, written after
                    // the sync: reported as damage (or, without its checksum, a torn write).
                    if start > 0, start >= newest.synced, start + 4 <= cut {
                        let position = Int(start) + Int(generator.next(upperBound: 4 as UInt64))
                        bytes[position] ^= UInt8(1) << generator.next(upperBound: 8 as UInt64)
                        garbled = true
                    }
                }
            }
            try writeBytes(bytes, to: newest.path)
        }
        let recovered: RecoveredState
        do {
            let opened = try FileStorage.open(directory: directory, options: options)
            self.storage = opened.0
            recovered = opened.1
        } catch {
            Issue.record("reopen failed: \(error) (\(context), garbled: \(garbled))")
            throw error
        }
        #expect(recovered.hardState == hardState, context)
        #expect(recovered.commitHint == commitHint, context)
        #expect(recovered.snapshot == snapshot, context)
        let log = recovered.entries
        #expect(
            log.starts(with: synced), "lost synced entries: \(log.count) recovered, \(synced.count) synced (\(context))"
        )
        #expect(written.starts(with: log), "recovered entries never written (\(context))")
        if let catchUpEnd {
            #expect(
                recovered.damage.map { $0.possibleEnd >= catchUpEnd } == true,
                "forgot the catch-up up to \(catchUpEnd): \(String(describing: recovered.damage)) (\(context))")
        }
        if !garbled {
            #expect(
                recovered.damage?.possibleEnd == catchUpEnd,
                "damage without garbled bytes: \(String(describing: recovered.damage)) (\(context))")
        }
        catchUpEnd = recovered.damage?.possibleEnd
        if catchUpEnd != nil && generator.chance(0.5) {
            try self.storage?.clearCatchUp()
            catchUpEnd = nil
        }
        written = log
        synced = log
    }
}
