import Raft
import SynodCore
import Testing

/// Log compaction and InstallSnapshot (Raft §7): a leader that dropped entries a
/// follower still needs sends its snapshot instead, in chunks, and the follower resumes
/// from it.
@Suite("Snapshots")
struct SnapshotTests {
    static let small = RaftConfiguration(snapshotChunkSize: 4)

    /// A leader (node 1) that committed `count` commands while node 3 was down, then
    /// compacted its log through its commit index.
    static func leaderAheadOfCompaction(count: Int = 10) -> TestCluster {
        var cluster = clusterWithLeader(configuration: small)
        cluster.crash(3)
        for i in 0..<count { cluster.propose([UInt8(i)], on: 1) }
        cluster.settle()
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        cluster.settle()
        let commit = cluster[1].commitIndex
        #expect(commit == LogIndex(UInt64(count) + 1))
        cluster.compact(1, through: commit, data: Array("state-image".utf8))
        cluster.settle()
        return cluster
    }

    @Test("compaction drops the log prefix and writes the snapshot to disk")
    func compaction() {
        let cluster = Self.leaderAheadOfCompaction()
        let leader = cluster[1]
        #expect(leader.log.baseIndex == LogIndex(11))
        #expect(leader.log.entries.isEmpty)
        #expect(leader.snapshot?.lastIndex == LogIndex(11))
        #expect(cluster.disks[1]?.snapshot == leader.snapshot)
        #expect(cluster.disks[1]?.entries.isEmpty == true)
    }

    @Test("a follower behind the Low-Water Mark receives the snapshot in chunks and resumes from it")
    func installOnLaggingFollower() {
        var cluster = Self.leaderAheadOfCompaction()
        cluster.restart(3)
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        cluster.settle()
        let chunks = cluster.sent[1, default: []].compactMap {
            if case .installSnapshot(let m) = $0.message, $0.to == 3 { return m } else { return nil }
        }
        #expect(chunks.count >= 3, "11 bytes in chunks of 4")
        #expect(cluster.restored[3]?.last?.data == Array("state-image".utf8))
        #expect(cluster[3].log.baseIndex == LogIndex(11))
        #expect(cluster[3].commitIndex == LogIndex(11))
        #expect(cluster.disks[3]?.snapshot?.lastIndex == LogIndex(11))
        // Replication goes on from the snapshot with ordinary entries.
        cluster.propose([42], on: 1)
        cluster.settle()
        #expect(cluster[3].log.lastIndex == LogIndex(12))
        #expect(cluster[3].log.entry(at: 12)?.data == [42])
    }

    @Test("the final acknowledgement waits until the snapshot is synced")
    func persistBeforeAcknowledging() {
        var cluster = Self.leaderAheadOfCompaction()
        cluster.restart(3)
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        // Deliver chunks to 3 one at a time without syncing 3's disk.
        for _ in 0..<20 {
            let toFollower = cluster.take(from: 1, to: 3)
            if toFollower.isEmpty { break }
            for envelope in toFollower {
                let out = cluster.deliver(envelope)
                for message in out.messages {
                    if case .installSnapshotResponse(let response) = message.message {
                        #expect(!response.done, "acknowledged the snapshot before it was on disk")
                    }
                }
            }
            cluster.deliverAll(from: 3, to: 1)
        }
        #expect(cluster[3].heldMessageCount == 1)
        let synced = cluster.sync(3)
        #expect(
            synced.messages.contains {
                if case .installSnapshotResponse(let response) = $0.message { return response.done }
                return false
            })
    }

    @Test("a follower whose log conflicts with the snapshot discards it whole")
    func conflictingLogDiscarded() {
        // Nodes 1 and 2 compacted through 11@3; node 3 holds 14 entries of terms 1 and 2.
        let image = Snapshot(lastIndex: 11, lastTerm: 3, data: Array("image".utf8))
        let compacted = TestCluster.Disk(hardState: HardState(term: 3), snapshot: image, entries: [])
        let stale = TestCluster.Disk(term: 2, log: entries(1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2))
        var cluster = TestCluster(
            members: [1, 2, 3], configuration: Self.small, disks: [1: compacted, 2: compacted, 3: stale])
        cluster.elect(1)
        cluster.settle()
        #expect(cluster.restored[3]?.last == image)
        #expect(cluster[3].log.baseIndex == LogIndex(11))
        #expect(cluster[3].log.lastIndex == cluster[1].log.lastIndex)
        #expect(cluster.disks[3]?.snapshot == image)
        #expect(cluster.disks[3]?.entries.map(\.index) == [LogIndex(12)])
        #expect(cluster.disks[3]?.entries.allSatisfy { $0.term == cluster[1].term } == true)
    }

    @Test("a restarted follower resumes from its durable snapshot")
    func restartFromSnapshot() {
        var cluster = Self.leaderAheadOfCompaction()
        cluster.restart(3)
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        cluster.settle()
        cluster.crash(3)
        cluster.restart(3)
        #expect(cluster[3].snapshot?.lastIndex == LogIndex(11))
        #expect(cluster[3].log.baseIndex == LogIndex(11))
        #expect(cluster[3].commitIndex == LogIndex(11))
    }
}

/// A server whose recovery cut away damage that may have held acknowledged entries
/// rejoins catching up until a leader has brought it past them: it votes only for a log
/// that covers what it may have lost, and does not count its own vote.
@Suite("Catching up after disk damage")
struct CatchUpTests {
    @Test("a damaged server votes only for a log that covers what it may have lost")
    func votesOnlyForACoveringLog() {
        var cluster = clusterWithLeader()
        for i in 0..<5 { cluster.propose([UInt8(i)], on: 1) }
        cluster.settle()
        let term = cluster[2].term
        cluster.crash(2)
        cluster.restart(2, catchUp: CatchUp(possibleEnd: LogIndex(10), term: term))
        #expect(cluster[2].catchUp != nil)
        // Up to date against the log it has (6 entries), short of the possible end (10).
        _ = cluster.receive(
            .requestVote(RequestVote(term: Term(term.rawValue + 1), lastLogIndex: LogIndex(8), lastLogTerm: term)),
            from: 3, to: 2)
        cluster.sync(2)
        #expect(cluster.sent[2, default: []].voteResponses.last?.granted == false)
        // A log reaching the possible end in the same term covers it.
        _ = cluster.receive(
            .requestVote(RequestVote(term: Term(term.rawValue + 2), lastLogIndex: LogIndex(10), lastLogTerm: term)),
            from: 3, to: 2)
        cluster.sync(2)
        #expect(cluster.sent[2, default: []].voteResponses.last?.granted == true)
    }

    @Test("a damaged server campaigns without counting its own vote")
    func campaignsWithoutItsOwnVote() {
        var cluster = clusterWithLeader()
        for i in 0..<5 { cluster.propose([UInt8(i)], on: 1) }
        cluster.settle()
        cluster.crash(2)
        cluster.restart(2, catchUp: CatchUp(possibleEnd: LogIndex(10), term: cluster[2].term))
        // The leader is gone; server 3 would grant, but one vote of three is no majority
        // when the candidate's own does not count.
        cluster.down.insert(1)
        cluster.now = cluster.now + .seconds(1)
        cluster.tick(2)
        cluster.settle()
        #expect(!cluster.sent[2, default: []].requestVotes.isEmpty, "a catching-up server should still campaign")
        let granted = cluster.sent[3, default: []].contains { envelope in
            guard envelope.to == 2, case .requestVoteResponse(let response) = envelope.message else { return false }
            return response.granted
        }
        #expect(granted, "server 3 should have granted its vote")
        #expect(cluster[2].role != .leader, "its own vote counted")
    }

    @Test("catching up ends once the leader commits past the possible end")
    func votesAgainAfterCatchingUp() {
        var cluster = clusterWithLeader()
        for i in 0..<5 { cluster.propose([UInt8(i)], on: 1) }
        cluster.settle()
        cluster.crash(2)
        cluster.restart(2, catchUp: CatchUp(possibleEnd: LogIndex(7), term: cluster[2].term))
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[2].catchUp != nil, "the leader's commit index (6) is not past the possible end (7)")
        cluster.propose([9], on: 1)
        cluster.settle()
        cluster.now = cluster.now + .milliseconds(10)
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[2].commitIndex >= LogIndex(7))
        #expect(cluster[2].catchUp == nil)
    }

    @Test("the vote-after-data-loss bug ignores the damage")
    func bugIgnoresDamage() {
        var configuration = RaftConfiguration()
        configuration.bugs = [.voteAfterDataLoss]
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.crash(2)
        cluster.restart(2, catchUp: CatchUp(possibleEnd: LogIndex(9), term: cluster[2].term))
        #expect(cluster[2].catchUp == nil)
    }
}

extension CatchUpTests {
    @Test("the leader backs off for a follower whose disk lost acknowledged entries")
    func leaderRelearnsAShorterLog() {
        var cluster = clusterWithLeader()
        for i in 0..<5 { cluster.propose([UInt8(i)], on: 1) }
        cluster.settle()
        #expect(cluster.disks[2]?.entries.count == 6)
        // Node 2 restarts with its last acknowledged entry cut away by recovery.
        cluster.crash(2)
        cluster.chop(2, to: 5)
        cluster.restart(2, catchUp: CatchUp(possibleEnd: LogIndex(6), term: cluster[2].term))
        for _ in 0..<3 {
            cluster.now = cluster.now + .milliseconds(10)
            cluster.tick(1)
            cluster.settle()
        }
        #expect(cluster[2].log.lastIndex == LogIndex(6), "the leader never re-sent the lost entry")
        #expect(cluster[2].catchUp == nil)
    }
}
