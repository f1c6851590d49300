import Raft
import SynodCore
import Testing

/// Flow control for InstallSnapshot: one chunk in flight per follower, heartbeats that
/// carry no data, resends only when a chunk is overdue, and a transfer that survives the
/// leader compacting again. Without it a follower on a slow link never catches up: every
/// heartbeat queues another copy of the chunk, and every compaction starts it over.
@Suite("Snapshot flow control")
struct SnapshotFlowControlTests {
    /// Node 3 restarted behind node 1's compacted log; the leader just sent it the first chunk.
    static func transferUnderWay() -> TestCluster {
        var cluster = SnapshotTests.leaderAheadOfCompaction()
        cluster.restart(3)
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        // The heartbeat is refused (3 lacks its previous entry); the next try is the snapshot.
        for _ in 0..<5 where !cluster.network.contains(where: { $0.to == 3 && isChunk($0) }) {
            cluster.deliverAll(from: 1, to: 3)
            cluster.sync(3)
            cluster.deliverAll(from: 3, to: 1)
        }
        #expect(cluster.network.filter { $0.to == 3 }.allSatisfy(isChunk))
        return cluster
    }

    static func isChunk(_ envelope: Envelope<RaftMessage>) -> Bool {
        if case .installSnapshot = envelope.message { return true } else { return false }
    }

    static func chunks(_ envelopes: [Envelope<RaftMessage>]) -> [InstallSnapshot] {
        envelopes.compactMap {
            if case .installSnapshot(let m) = $0.message { return m } else { return nil }
        }
    }

    @Test("a heartbeat while a chunk is in flight carries no data")
    func heartbeatCarriesNoData() {
        var cluster = Self.transferUnderWay()
        let first = Self.chunks(cluster.take(from: 1, to: 3))
        #expect(first.count == 1)
        #expect(first.first?.data.count == 4)
        for _ in 0..<5 {
            cluster.now = cluster.now + SnapshotTests.small.heartbeatInterval
            cluster.tick(1)
            let again = Self.chunks(cluster.take(from: 1, to: 3))
            #expect(again.count == 1, "a heartbeat still reaches the follower")
            #expect(again.allSatisfy { $0.data.isEmpty }, "a heartbeat resent the chunk in flight")
        }
    }

    @Test("a chunk left unanswered past the resend timeout is sent again")
    func overdueChunkIsResent() {
        var cluster = Self.transferUnderWay()
        _ = cluster.take(from: 1, to: 3)  // lost
        cluster.now = cluster.now + SnapshotTests.small.snapshotResendTimeout
        cluster.tick(1)
        let resent = cluster.take(from: 1, to: 3)
        #expect(Self.chunks(resent).map(\.offset) == [0])
        #expect(Self.chunks(resent).first?.data.count == 4)
        // Delivered this time, the transfer completes.
        for envelope in resent { cluster.deliver(envelope) }
        cluster.settle()
        #expect(cluster[3].log.baseIndex == LogIndex(11))
        #expect(cluster.restored[3]?.last?.data == Array("state-image".utf8))
    }

    @Test("an answer to an empty chunk sends nothing new while the chunk is in flight")
    func probeAnswerSendsNothing() {
        var cluster = Self.transferUnderWay()
        let first = cluster.take(from: 1, to: 3)
        cluster.now = cluster.now + SnapshotTests.small.heartbeatInterval
        cluster.tick(1)
        // The empty chunk overtakes the real one; its answer says 0 bytes are held.
        for envelope in cluster.take(from: 1, to: 3) { cluster.deliver(envelope) }
        cluster.deliverAll(from: 3, to: 1)
        #expect(Self.chunks(cluster.take(from: 1, to: 3)).isEmpty)
        // Then the real chunk arrives, and its answer asks for the next.
        for envelope in first { cluster.deliver(envelope) }
        cluster.deliverAll(from: 3, to: 1)
        let next = Self.chunks(cluster.take(from: 1, to: 3))
        #expect(next.map(\.offset) == [4])
    }

    @Test("a compaction during a transfer does not start it over")
    func compactionKeepsTheTransfer() {
        var cluster = Self.transferUnderWay()
        for envelope in cluster.take(from: 1, to: 3) { cluster.deliver(envelope) }
        cluster.deliverAll(from: 3, to: 1)
        let second = cluster.take(from: 1, to: 3)
        #expect(Self.chunks(second).map(\.offset) == [4])
        // More commits on 1 and 2 while 3 receives, then a compaction past them. The
        // compaction is held while the transfer moves; forced here, it must not restart it.
        let holds = cluster[1].holdsCompaction
        #expect(holds)
        for i in 0..<3 { cluster.propose([UInt8(100 + i)], on: 1) }
        cluster.settle(dropping: { $0.to == 3 || $0.from == 3 })
        let commit = cluster[1].commitIndex
        #expect(commit > LogIndex(11))
        cluster.compact(1, through: commit, data: Array("newer-image".utf8))
        for envelope in second { cluster.deliver(envelope) }
        cluster.deliverAll(from: 3, to: 1)
        let third = cluster.take(from: 1, to: 3)
        #expect(Self.chunks(third).map(\.offset) == [8], "the transfer started over after a compaction")
        #expect(Self.chunks(third).allSatisfy { $0.lastIndex == LogIndex(11) })
        // It finishes with the first snapshot, then the newer one follows.
        for envelope in third { cluster.deliver(envelope) }
        cluster.settle()
        #expect(cluster[3].commitIndex == cluster[1].commitIndex)
        #expect(cluster.restored[3]?.map(\.lastIndex) == [LogIndex(11), commit])
        let stillHolds = cluster[1].holdsCompaction
        #expect(!stillHolds)
    }
}
