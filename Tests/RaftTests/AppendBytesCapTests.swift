import Raft
import SynodCore
import Testing

/// AppendEntries are capped in bytes as well as in entries, so that one always fits a
/// peer frame; an entry larger than the cap still goes, alone, so the follower catches up.
@Suite("AppendEntries byte cap")
struct AppendBytesCapTests {
    /// The bytes an AppendEntries counts against the cap.
    static func size(_ append: AppendEntries) -> Int {
        append.entries.reduce(0) { $0 + $1.data.count + RaftNode.entryFraming }
    }

    /// Ticks the leader every heartbeat until node 3 holds the leader's log (or 100 rounds pass).
    static func catchUp(_ cluster: inout TestCluster) {
        for _ in 0..<100 where cluster[3].log.lastIndex < cluster[1].log.lastIndex {
            cluster.now = cluster.now + .milliseconds(10)
            cluster.tick(1)
            cluster.settle()
        }
    }

    @Test func aLaggingFollowerGetsItsEntriesInAppendsWithinTheByteCap() {
        var configuration = RaftConfiguration()
        configuration.maxAppendBytes = 10_000
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.settle()
        cluster.down = [3]
        // Ten entries of 3,000 bytes: three fit in 10,000 bytes with their framing, four do not.
        for i in 0..<10 { cluster.propose([UInt8](repeating: UInt8(i), count: 3_000), on: 1) }
        cluster.settle()
        cluster.down = []
        let before = cluster.sent[1, default: []].count
        Self.catchUp(&cluster)

        #expect(cluster[3].log == cluster[1].log, "node 3 did not catch up")
        let appends = Array(cluster.sent[1, default: []].dropFirst(before)).to(3).appends.filter {
            !$0.entries.isEmpty
        }
        #expect(!appends.isEmpty)
        for append in appends {
            #expect(Self.size(append) <= 10_000, "an append of \(Self.size(append)) bytes")
        }
        #expect(appends.contains { $0.entries.count == 3 }, "the cap was not filled: \(appends.map(\.entries.count))")
    }

    @Test func anEntryLargerThanTheCapGoesAloneAndTheFollowerCatchesUp() {
        var configuration = RaftConfiguration()
        configuration.maxAppendBytes = 1_000
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.settle()
        cluster.down = [3]
        cluster.propose([UInt8](repeating: 1, count: 5_000), on: 1)
        cluster.propose([UInt8](repeating: 2, count: 5_000), on: 1)
        cluster.settle()
        cluster.down = []
        let before = cluster.sent[1, default: []].count
        Self.catchUp(&cluster)

        #expect(cluster[3].log == cluster[1].log, "node 3 did not catch up")
        let appends = Array(cluster.sent[1, default: []].dropFirst(before)).to(3).appends.filter {
            !$0.entries.isEmpty
        }
        #expect(appends.allSatisfy { $0.entries.count == 1 }, "\(appends.map(\.entries.count))")
    }

    @Test func theCountCapStillHoldsUnderALargeByteCap() {
        var configuration = RaftConfiguration(maxEntriesPerAppend: 2)
        configuration.maxAppendBytes = 1 << 20
        var cluster = clusterWithLeader(configuration: configuration)
        cluster.settle()
        cluster.down = [3]
        for i in 0..<5 { cluster.propose([UInt8(i)], on: 1) }
        cluster.settle()
        cluster.down = []
        let before = cluster.sent[1, default: []].count
        Self.catchUp(&cluster)

        #expect(cluster[3].log == cluster[1].log, "node 3 did not catch up")
        let appends = Array(cluster.sent[1, default: []].dropFirst(before)).to(3).appends
        #expect(appends.allSatisfy { $0.entries.count <= 2 })
    }
}
