import Raft
import Simulation
import SynodCore
import Testing

/// Storage in the simulator: log compaction with InstallSnapshot, torn writes, bit
/// flips and lying disks, with the simulated disk recovering by the real log's rule.
@Suite struct StorageFaultTests {
    @Test(arguments: storySeeds.prefix(8))
    func aFollowerThatMissedACompactedStretchCatchesUpFromTheLeadersSnapshot(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed, nodes: 3, compactEvery: 64)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        let leader = try #require(cluster.leader)
        let follower = cluster.members.first { $0 != leader }!
        cluster.crash(follower)
        cluster.run(for: .seconds(2))
        let compacted = try #require(cluster.server(leader)).log.baseIndex
        #expect(compacted > .zero, cluster.explain("the leader never compacted its log"))
        cluster.restart(follower)
        let took = cluster.run(within: .seconds(2)) { sim in
            guard let server = sim.server(follower), let lead = sim.leader, let leading = sim.server(lead) else {
                return false
            }
            return server.snapshot != nil && server.commitIndex >= leading.commitIndex.advanced(by: -5)
        }
        #expect(took != nil, cluster.explain("\(follower) did not catch up from a snapshot"))
        #expect(
            try #require(cluster.server(follower)).snapshot!.lastIndex >= compacted,
            cluster.explain("the snapshot \(follower) holds is older than the leader's low-water mark"))
        cluster.expectNoViolation()
    }

    @Test(arguments: storySeeds.prefix(8))
    func aBitFlipInTheNewestRecordMakesTheServerRejoinWithoutAVoteUntilItCatchesUp(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed, nodes: 3)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(200))
        let leader = try #require(cluster.leader)
        let follower = cluster.members.first { $0 != leader }!
        cluster.crash(follower)
        cluster.flipBit(on: follower)
        cluster.restart(follower)
        let restarted = try #require(cluster.server(follower), cluster.explain("\(follower) refused to start"))
        #expect(restarted.catchUp != nil, cluster.explain("\(follower) ignored the damaged tail"))
        #expect(cluster.report.damagedRestarts == 1)
        #expect(!cluster.mayVote(follower))
        let took = cluster.run(within: .seconds(1)) { $0.server(follower)?.catchUp == nil }
        #expect(took != nil, cluster.explain("\(follower) never caught up"))
        cluster.run(for: .milliseconds(50))
        #expect(cluster.mayVote(follower))
        cluster.expectNoViolation()
    }

    /// A power loss tears the newest record on two of three servers; the third (the
    /// leader, whose log holds everything theirs did) kept it. Catching up, the two vote
    /// only for a log that covers what they may have lost, which the leader's does: it is
    /// elected again and the cluster goes on. Under the earlier rule (catching-up servers
    /// never vote) no leader was ever elected.
    @Test(arguments: storySeeds.prefix(8))
    func aMajorityRestartedCatchingUpElectsTheServerThatKeptTheirEntries(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed, nodes: 3)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(200))
        let leader = try #require(cluster.leader)
        let damaged = cluster.members.filter { $0 != leader }
        for id in cluster.members { cluster.crash(id) }
        for id in damaged { cluster.flipBit(on: id) }
        for id in cluster.members { cluster.restart(id) }
        for id in damaged {
            #expect(cluster.server(id)?.catchUp != nil, cluster.explain("\(id) ignored its damaged tail"))
        }
        let committed = cluster.commitIndex
        let took = cluster.run(within: .seconds(2)) { $0.leader != nil }
        #expect(took != nil, cluster.explain("no leader after the power loss"))
        #expect(cluster.leader == leader, cluster.explain("only \(leader) holds what the others may have lost"))
        cluster.run(for: .milliseconds(500))
        #expect(cluster.commitIndex > committed, cluster.explain("the cluster did not go on committing"))
        for id in damaged { #expect(cluster.mayVote(id), cluster.explain("\(id) never caught up")) }
        cluster.expectNoViolation()
    }

    /// The catch-up state must survive a second crash: otherwise the restarted server
    /// votes at once, and with the old leader gone it helps elect a leader that lacks
    /// entries committed before.
    @Test(arguments: storySeeds.prefix(8))
    func aServerThatCrashesAgainWhileCatchingUpStillCatchesUp(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed, nodes: 3)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        let leader = try #require(cluster.leader)
        let others = cluster.members.filter { $0 != leader }
        let (a, b) = (others[0], others[1])
        cluster.isolate(b)
        cluster.run(for: .milliseconds(300))
        cluster.isolate(a)
        cluster.crash(a)
        cluster.flipBit(on: a)
        cluster.restart(a)
        #expect(cluster.server(a)?.catchUp != nil, cluster.explain("\(a) ignored its damaged tail"))
        cluster.crash(a)
        cluster.restart(a)
        #expect(cluster.server(a)?.catchUp != nil, cluster.explain("\(a) forgot it must catch up"))
        cluster.crash(leader)
        cluster.reconnect(a, b)
        cluster.run(for: .seconds(2))
        cluster.expectNoViolation()
    }

    @Test(arguments: storySeeds.prefix(8))
    func aBitFlipInAnOlderRecordRefusesTheStartAndTheOthersGoOn(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed, nodes: 3)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(200))
        let leader = try #require(cluster.leader)
        let follower = cluster.members.first { $0 != leader }!
        cluster.crash(follower)
        cluster.flipBit(on: follower, record: 0)
        cluster.restart(follower)
        #expect(cluster.server(follower) == nil && cluster.refusedToStart(follower))
        let committed = cluster.commitIndex
        cluster.run(for: .milliseconds(300))
        #expect(cluster.commitIndex > committed.advanced(by: 10), cluster.explain("commits stalled"))
        cluster.expectNoViolation()
    }

    @Test func aHundredAndFiftyDiskFaultSeedsOnThreeAndFiveServersBreakNoInvariant() async {
        for nodes in [3, 5] {
            let options = SimulationOptions(nodes: nodes, faults: .disk)
            let reports = await sweep(options, seeds: 1...150)
            expectNoViolations(reports, options)
            #expect(reports.reduce(0) { $0 + $1.damagedRestarts } > 0, "no server ever rejoined after damage")
            #expect(reports.reduce(0) { $0 + $1.refusedStarts } > 0, "no server ever refused to start")
        }
    }

    @Test func aKeyValueWorkloadUnderDiskFaultsStaysLinearizable() async {
        var options = SimulationOptions(nodes: 3, faults: .disk)
        options.workload = KVWorkload()
        let reports = await sweep(options, seeds: 1...60)
        expectNoViolations(reports, options)
    }

    /// Lying disks on a majority, then a power failure: acknowledged entries vanish
    /// from a majority, and the durability invariant must say so.
    @Test func disksThatLieOnAMajorityBreakDurabilityAndTheCheckerSaysSo() async {
        let options = SimulationOptions(nodes: 3, faults: .diskMajority)
        let reports = await sweep(options, seeds: 1...10)
        let caught = reports.filter { $0.violation?.invariant == "durability" }
        #expect(caught.count >= 5, "only \(caught.count) of 10 seeds showed the loss")
    }

    /// Without the non-voting catch-up, a server that lost acknowledged entries helps
    /// elect a leader without them; the checker must find a seed where it does.
    @Test func votingRightAfterDataLossIsCaught() async {
        var options = SimulationOptions(nodes: 3, faults: .disk)
        options.raft.bugs = [.voteAfterDataLoss]
        let reports = await sweep(options, seeds: 1...300)
        let caught = reports.filter { $0.violation?.kind == .safety }.map(\.seed)
        #expect(!caught.isEmpty, "no seed in 1...300 caught vote-after-data-loss")
        if let first = caught.first {
            print("vote-after-data-loss caught by seed \(first): \(options.replayCommand(seed: first) ?? "-")")
        }
    }
}
