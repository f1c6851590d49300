import Raft
import Simulation
import SynodCore
import Testing

/// Crashes told as a story: every server goes down and comes back in turn.
@Suite struct CrashStories {
    @Test(arguments: storySeeds)
    func crashingAndRestartingEveryServerInTurnLosesNothingAndCommitsGoOn(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(300))

        for id in cluster.members {
            let committed = cluster.commitIndex
            cluster.crash(id)
            cluster.run(for: .milliseconds(500))
            #expect(cluster.server(id) == nil, cluster.explain("\(id) should be down"))
            cluster.restart(id)
            cluster.run(for: .milliseconds(500))
            #expect(
                cluster.commitIndex > committed.advanced(by: 10),
                cluster.explain("commits stalled around the crash of \(id): \(committed) -> \(cluster.commitIndex)"))
            let restarted = try #require(cluster.server(id), cluster.explain("\(id) did not come back"))
            #expect(
                restarted.commitIndex >= committed,
                cluster.explain("\(id) has not relearned what was committed before its crash"))
            cluster.expectNoViolation()
        }
        let took = cluster.run(within: .seconds(1)) { $0.leader != nil }
        #expect(took != nil, cluster.explain("no leader after every server restarted"))
        #expect(cluster.liveServers.count == cluster.members.count, cluster.explain("every server should be up"))
    }
}
