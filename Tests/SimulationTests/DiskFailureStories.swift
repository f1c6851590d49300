import Paxos
import Simulation
import SynodCore
import Testing

/// A leader whose disk cannot write (full, or its sync hangs) must not keep the cluster
/// from writing: it hands leadership over and stays out of elections until its disk
/// works again, then rejoins. Told with key-value clients, whose writes go through the
/// replica layer that `synod serve` runs.
@Suite struct DiskFailureStories {
    static let protocols: [Consensus] = [.raft, .multiPaxos(PaxosQuorums(nodes: 3))]

    static func cluster(seed: UInt64, consensus: Consensus) -> Simulation {
        var options = SimulationOptions(nodes: 3, duration: .seconds(3_600), faults: .none)
        options.workload = KVWorkload()
        options.consensus = consensus
        return Simulation(options: options, seed: seed)
    }

    static func commitIndex(of id: NodeID, in cluster: Simulation) -> LogIndex {
        cluster.server(id)?.commitIndex ?? cluster.multiPaxosServer(id)?.commitIndex ?? .zero
    }

    /// Whether a client write that began at or after `start` succeeded.
    static func wroteSince(_ start: Instant, in cluster: Simulation) -> Bool {
        cluster.history.contains { $0.status == .ok && $0.command.isWrite && $0.call >= start.nanoseconds / 1_000 }
    }

    @Test(arguments: protocols, DiskFailureKind.allCases)
    func aLeaderWhoseDiskCannotWriteHandsOverAndTheClusterKeepsWriting(consensus: Consensus, kind: DiskFailureKind)
        throws
    {
        for seed in storySeeds.prefix(8) {
            var cluster = Self.cluster(seed: seed, consensus: consensus)
            cluster.run(within: .seconds(1)) { $0.leader != nil }
            cluster.run(for: .milliseconds(300))
            let leader = try #require(cluster.leader, cluster.explain("no leader"))
            #expect(Self.wroteSince(.zero, in: cluster), cluster.explain("no write before the fault"))

            let fault = cluster.now
            cluster.failDisk(of: leader, kind)
            // A full disk is reported at once; a hung sync is noticed after the stall
            // limit (three election timeouts here). By 1.5 s after the fault the cluster
            // takes writes again: one begun then succeeds within a second. (A write or
            // two right after the fault may succeed even with the leader stuck.)
            cluster.run(until: fault + .milliseconds(1_500))
            let resumed = cluster.now
            let took = cluster.run(within: .seconds(1)) { Self.wroteSince(resumed, in: $0) }
            #expect(
                took != nil,
                cluster.explain("no write begun 1.5 s after \(leader)'s disk failed (\(kind)) succeeded within 1 s"))
            #expect(cluster.leader != leader, cluster.explain("\(leader) still leads with a disk that cannot write"))
            #expect(cluster.diskTrouble(of: leader) != nil, cluster.explain("\(leader) did not notice its disk"))

            cluster.run(for: .seconds(1))
            #expect(cluster.leader != leader, cluster.explain("\(leader) took leadership back on a failing disk"))
            cluster.repairDisk(of: leader)
            let repaired = cluster.now
            let target = cluster.commitIndex
            let back = cluster.run(within: .seconds(1)) { sim in
                sim.diskTrouble(of: leader) == nil && Self.commitIndex(of: leader, in: sim) >= target
            }
            #expect(back != nil, cluster.explain("\(leader) did not write again and catch up after its disk's repair"))
            #expect(
                cluster.run(within: .seconds(1)) { Self.wroteSince(repaired, in: $0) } != nil,
                cluster.explain("no write succeeded after the repair"))
            cluster.expectNoViolation()
        }
    }
}
