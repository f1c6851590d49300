import KV
import Raft
import Replication
import SynodCore
import Testing

/// A Request Batch is capped in bytes as well as in commands, so that no entry outgrows
/// what the followers and the WAL take; a command that could fit no batch is refused.
@Suite struct BatchByteCapTests {
    static func options(command: Int, batch: Int) -> ReplicaOptions {
        var options = ReplicaOptions()
        options.maxCommandBytes = command
        options.maxBatchBytes = batch
        return options
    }

    /// The batches in `id`'s log: each entry's encoded size and command count.
    static func batches(_ cluster: ReplicaCluster, on id: NodeID) throws -> [(bytes: Int, commands: Int)] {
        try cluster.replicas[id]!.consensus.log.entries.filter { $0.kind == .command }.map {
            (bytes: $0.data.count, commands: try CommandBatch.decode($0.data).items.count)
        }
    }

    @Test func writesThatTogetherPassTheByteCapAreSplitIntoEntriesWithinIt() throws {
        var cluster = ReplicaCluster(options: Self.options(command: 4_000, batch: 8_000))
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        cluster.settle()
        // Five writes of about 3,000 bytes arrive before the batch is flushed: two fit in
        // 8,000 bytes, three do not.
        let value = ByteString(String(repeating: "v", count: 3_000))
        for token in 1...5 as ClosedRange<UInt64> {
            cluster.write(.put(key: "k\(token)", value: value), token: token, on: leader)
        }
        cluster.settle()

        let batches = try Self.batches(cluster, on: leader)
        // How they group depends on when syncs complete; no batch holds three.
        #expect(batches.map(\.commands).reduce(0, +) == 5)
        #expect(batches.allSatisfy { $0.commands <= 2 }, "\(batches.map(\.commands))")
        #expect(batches.contains { $0.commands == 2 }, "the cap split more than it had to")
        #expect(batches.allSatisfy { $0.bytes <= 8_000 }, "\(batches.map(\.bytes))")
        for token in 1...5 as ClosedRange<UInt64> {
            #expect(ReplicaCluster.reply(cluster.replies[token]) == .done, "write \(token): \(cluster.replies[token]!)")
        }
        #expect(cluster.value("k5", on: leader) == value)
    }

    @Test func aCommandAtTheLimitIsTakenAndOneByteMoreIsRefusedBeforeItIsNumbered() throws {
        var cluster = ReplicaCluster(options: Self.options(command: 4_000, batch: 8_000))
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        let follower = cluster.members.first { $0 != leader }!
        cluster.settle()
        let base = KVRequest(command: .put(key: "k", value: ""), time: cluster.now).encoded().count
        let atLimit = KVRequest(
            command: .put(key: "k", value: ByteString(String(repeating: "a", count: 4_000 - base - 1))),
            time: cluster.now)
        try #require(atLimit.encoded().count == 4_000)
        var over = atLimit
        over.command = .put(key: "k", value: ByteString(String(repeating: "b", count: 4_000 - base)))
        try #require(over.encoded().count == 4_001)

        for (token, id) in [(1, leader), (2, follower)] as [(UInt64, NodeID)] {
            cluster.step(id) { core, now, out in core.write(atLimit.encoded(), token: token, at: now, into: &out) }
            cluster.step(id) { core, now, out in core.write(over.encoded(), token: token + 10, at: now, into: &out) }
        }
        cluster.settle()

        #expect(ReplicaCluster.reply(cluster.replies[1]) == .done)
        #expect(ReplicaCluster.reply(cluster.replies[2]) == .done)
        for token in [11, 12] as [UInt64] {
            guard case .busy(let reason) = cluster.replies[token] else {
                Issue.record("write \(token): \(String(describing: cluster.replies[token])), expected BUSY")
                continue
            }
            #expect(reason.contains("command limit of 4000 bytes"), "\(reason)")
        }
        #expect(try Self.batches(cluster, on: leader).map(\.commands) == [1, 1], "only the writes at the limit")
    }

    @Test func theDefaultsLeaveRoomForOneCommandAtTheLimitInABatch() {
        let options = ReplicaOptions()
        #expect(options.maxCommandBytes + CommandBatch.maxOverhead <= options.maxBatchBytes)
        let item = BatchItem(
            origin: ForwardOrigin(session: .max, sequence: .max, acknowledged: .max),
            command: [UInt8](repeating: 7, count: options.maxCommandBytes))
        let encoded = CommandBatch(items: [item]).encoded(stampedAt: .max)
        #expect(encoded.count == CommandBatch.encodedSize(of: [item]))
        #expect(encoded.count <= options.maxBatchBytes)
    }
}
