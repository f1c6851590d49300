import Foundation
import Raft
import Replication
import Storage
import SynodCore
import SynodServer
import Testing

/// The size limits nest: whatever the client port takes fits a batch, an entry, an
/// AppendEntries, a peer frame and a WAL record, each with the framing it adds.
@Suite struct SizeLimitTests {
    static let limits = SizeLimits()
    static let huge: UInt64 = 1 << 62

    @Test func theDefaultsNestStrictly() throws {
        let limits = Self.limits
        try limits.check()
        #expect(limits.value < limits.command)
        #expect(limits.command < limits.batch)
        #expect(limits.batch <= limits.entry)
        #expect(limits.entry < limits.appendEntries)
        #expect(limits.appendEntries < limits.frame)
        #expect(limits.frame < limits.walRecord)
        #expect(limits.command == ReplicaOptions().maxCommandBytes)
        #expect(limits.batch == ReplicaOptions().maxBatchBytes)
        #expect(limits.appendEntries == RaftConfiguration().maxAppendBytes)
        #expect(limits.walRecord == FileStorage.Options().maxRecordSize)
    }

    @Test func limitsThatDoNotNestAreRefusedNamingBoth() {
        var limits = Self.limits
        limits.appendEntries = limits.frame
        #expect(throws: SizeLimitError.self) { try limits.check() }
        do {
            try limits.check()
        } catch {
            #expect(error.reason.contains("AppendEntries limit") && error.reason.contains("frame limit"), "\(error)")
        }
        var configuration = ServerConfiguration(id: 1, peers: [1: "127.0.0.1:1"], dataDirectory: "/nonexistent")
        configuration.maxFrameSize = 1 << 20
        #expect(throws: SizeLimitError.self) { try configuration.checkLimits() }
    }

    @Test func theServerConfigurationKeepsOneAppendEntriesLimitForRaftAndTheLimits() {
        var configuration = ServerConfiguration(id: 1, peers: [1: "127.0.0.1:1"], dataDirectory: "/nonexistent")
        configuration.limits.appendEntries = 3 << 20
        #expect(configuration.raft.maxAppendBytes == 3 << 20)
        configuration.raft.maxAppendBytes = 5 << 20
        #expect(configuration.limits.appendEntries == 5 << 20)
        configuration.maxFrameSize = 20 << 20
        #expect(configuration.limits.frame == 20 << 20)
    }

    /// Entries of the largest data a batch may have, with every number as long as the
    /// wire allows, up to the AppendEntries cap: the frame still fits.
    @Test func theLargestAppendEntriesFitsTheFrameLimit() {
        let limits = Self.limits
        let framing = RaftNode.entryFraming
        let big = Term(Self.huge)
        var entries: [LogEntry] = []
        var counted = 0
        var index = Self.huge - 64
        while counted + framing < limits.appendEntries {
            let size = min(limits.entry, limits.appendEntries - counted - framing)
            entries.append(LogEntry(term: big, index: LogIndex(index), data: [UInt8](repeating: 0xAB, count: size)))
            counted += size + framing
            index += 1
        }
        let append = AppendEntries(
            term: big, prevLogIndex: LogIndex(Self.huge - 65), prevLogTerm: big, entries: entries,
            leaderCommit: LogIndex(Self.huge), round: .max)
        let frame = PeerFrame.raft(
            Envelope(from: NodeID(Int(Self.huge)), to: NodeID(Int(Self.huge) - 1), message: .appendEntries(append)))
        #expect(counted <= limits.appendEntries)
        #expect(frame.encodedSize - 4 <= limits.frame, "\(frame.encodedSize - 4) bytes")
    }

    @Test func aForwardOfTheLargestCommandAndASnapshotChunkFitTheFrameLimit() {
        let limits = Self.limits
        let item = BatchItem(
            origin: ForwardOrigin(session: .max, sequence: .max, acknowledged: .max),
            command: [UInt8](repeating: 1, count: limits.command))
        let forward = PeerFrame.forward(id: .max, request: item.encoded())
        #expect(forward.encodedSize - 4 <= limits.frame)
        let chunk = InstallSnapshot(
            term: Term(Self.huge), lastIndex: LogIndex(Self.huge), lastTerm: Term(Self.huge), offset: Int(Self.huge),
            data: [UInt8](repeating: 2, count: RaftConfiguration().snapshotChunkSize)[...], done: true, round: .max)
        let frame = PeerFrame.raft(Envelope(from: 1, to: 2, message: .installSnapshot(chunk)))
        #expect(frame.encodedSize - 4 <= limits.frame)
    }

    @Test func anEntryOfTheLargestBatchIsAcceptedByTheWAL() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synod-limits-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (storage, _) = try FileStorage.open(directory: directory)
        defer { storage.close() }
        let data = [UInt8](repeating: 3, count: Self.limits.entry)
        let ticket = try storage.enqueue { next in
            [LogEntry(term: Term(Self.huge), index: next, data: data)]
        }
        _ = try storage.waitDurable(ticket)
    }
}
