import Raft
import Simulation
import SynodCore
import Testing

/// A follower behind a slow link (a bandwidth limit on every link into it) that missed
/// a compacted stretch must still catch up from the leader's snapshot while writes go
/// on. Without flow control it cannot: every heartbeat queues another copy of the chunk
/// in flight, and every compaction starts the transfer over from byte 0.
@Suite struct SlowLinkSnapshotTests {
    /// Bytes per second into the slow follower: a few times what the steady writes need,
    /// and well below a chunk per heartbeat.
    static let slowLink = 24_000
    /// Enough keys that the snapshot takes a few dozen chunks.
    static let keys = 300

    @Test(arguments: storySeeds.prefix(8))
    func aFollowerBehindASlowLinkCatchesUpFromTheSnapshotWhileWritesGoOn(seed: UInt64) throws {
        var options = SimulationOptions(nodes: 3, duration: .seconds(3_600), faults: .none, proposalsPerSecond: 0)
        options.workload = KVWorkload(keys: Self.keys)
        options.compactEvery = 64
        var cluster = Simulation(options: options, seed: seed)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        let leader = try #require(cluster.leader)
        let follower = cluster.members.first { $0 != leader }!
        cluster.crash(follower)
        cluster.run(for: .seconds(3))
        let compacted = try #require(cluster.server(leader)).log.baseIndex
        #expect(compacted > .zero, cluster.explain("the leader never compacted its log"))
        for other in cluster.members where other != follower {
            cluster.limitBandwidth(from: other, to: follower, bytesPerSecond: Self.slowLink)
        }
        cluster.restart(follower)
        let took = cluster.run(within: .seconds(10)) { sim in
            guard let server = sim.server(follower), let lead = sim.leader, let leading = sim.server(lead) else {
                return false
            }
            return server.snapshot != nil && server.commitIndex >= leading.commitIndex.advanced(by: -10)
        }
        #expect(took != nil, cluster.explain("\(follower) did not catch up over a slow link"))
        let commitAtCatchUp = cluster.server(cluster.leader ?? leader)?.commitIndex ?? .zero
        cluster.run(for: .seconds(1))
        let commitLater = cluster.server(cluster.leader ?? leader)?.commitIndex ?? .zero
        #expect(commitLater > commitAtCatchUp, cluster.explain("writes stopped"))
        cluster.expectNoViolation()
    }
}
