import Raft
import Simulation
import SynodCore
import Testing

/// Network faults told as stories: a leader stranded in a minority, a follower cut off
/// and healed, and a link that works in one direction only.
@Suite struct PartitionStories {
    @Test(arguments: storySeeds)
    func aLeaderStrandedInAMinorityCannotCommitWhileTheMajorityElectsAnotherAndMovesOn(seed: UInt64) throws {
        // Proposals 50 ms apart leave quiet moments in which heartbeats carry the last
        // commit index to every follower, so the converged cluster can be seen to agree.
        var cluster = Simulation.story(seed: seed, proposalsPerSecond: 20)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(300))
        let old = try #require(cluster.leader, cluster.explain("no leader to strand"))
        let oldTerm = cluster.leaderTerm
        let follower = try #require(cluster.members.first { $0 != old })
        let majority = cluster.members.filter { $0 != old && $0 != follower }

        cluster.partition([old, follower], majority)
        let strandedCommit = try #require(cluster.server(old)).commitIndex

        let took = cluster.run(within: .seconds(1)) { $0.leader.map(majority.contains) == true }
        #expect(took != nil, cluster.explain("the majority \(majority) elected no leader within 1 s"))
        let new = try #require(cluster.leader)
        #expect(cluster.leaderTerm > oldTerm, cluster.explain("\(new) should lead a term above \(oldTerm)"))

        let majorityCommit = cluster.commitIndex
        cluster.run(for: .seconds(1))
        #expect(
            cluster.commitIndex > majorityCommit.advanced(by: 10),
            cluster.explain("the majority's commit index only went from \(majorityCommit) to \(cluster.commitIndex)"))
        let stranded = try #require(cluster.server(old))
        // It may still believe it leads (nothing tells it otherwise), but without a
        // majority it can commit nothing more.
        #expect(
            stranded.commitIndex == strandedCommit,
            cluster.explain(
                "\(old) moved its commit index without a majority: \(strandedCommit) -> \(stranded.commitIndex)"))
        #expect(
            stranded.log.lastIndex > strandedCommit,
            cluster.explain("\(old) should hold proposals it accepted but could not commit"))
        let uncommitted = (strandedCommit.rawValue + 1)...stranded.log.lastIndex.rawValue

        cluster.heal()
        let converged = cluster.run(within: .seconds(2)) { cluster in
            let servers = cluster.liveServers
            return servers.count == cluster.members.count
                && servers.allSatisfy { $0.log == servers[0].log && $0.commitIndex == servers[0].commitIndex }
        }
        #expect(converged != nil, cluster.explain("the servers did not converge within 2 s of the heal"))
        let rejoined = try #require(cluster.server(old))
        #expect(
            rejoined.role == .follower && rejoined.leaderID == cluster.leader && rejoined.term == cluster.leaderTerm
                && cluster.leaderTerm > oldTerm,
            cluster.explain("\(old) should follow the leader of a term above \(oldTerm)"))
        for index in uncommitted where index <= rejoined.log.lastIndex.rawValue {
            #expect(
                rejoined.log.term(at: LogIndex(index))! > oldTerm,
                cluster.explain("\(old) kept its uncommitted entry at \(index) from term \(oldTerm)"))
        }
        cluster.expectNoViolation()
    }

    @Test(arguments: storySeeds)
    func aFollowerCutOffFallsBehindAndCatchesUpAfterTheHeal(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(300))
        let leader = try #require(cluster.leader, cluster.explain("no leader"))
        let follower = try #require(cluster.members.first { $0 != leader })

        cluster.isolate(follower)
        let lastBefore = try #require(cluster.server(follower)).log.lastIndex
        cluster.run(for: .seconds(1))
        let behind = try #require(cluster.server(follower))
        #expect(behind.log.lastIndex == lastBefore, cluster.explain("\(follower) received entries while cut off"))
        #expect(
            cluster.commitIndex > lastBefore.advanced(by: 20),
            cluster.explain("the other four should keep committing without \(follower)"))

        cluster.heal()
        let caughtUp = cluster.run(within: .seconds(2)) { cluster in
            guard let leader = cluster.leader, let follower = cluster.server(follower) else { return false }
            return follower.log.lastIndex >= cluster.server(leader)!.log.lastIndex
        }
        #expect(caughtUp != nil, cluster.explain("\(follower) did not catch up within 2 s of the heal"))
        let leaderLog = try #require(cluster.leader.flatMap { cluster.server($0) }).log
        #expect(
            try #require(cluster.server(follower)).log == leaderLog,
            cluster.explain("\(follower)'s log should now equal the leader's"))
        cluster.expectNoViolation()
    }

    @Test(arguments: ElectionSafeguards.allCases, storySeeds)
    func aLinkThatWorksOneWayOnlyBreaksNoInvariantAndLeavesALeader(
        safeguards: ElectionSafeguards, seed: UInt64
    ) throws {
        var raft = RaftConfiguration()
        raft.elections = safeguards
        var cluster = Simulation.story(seed: seed, raft: raft)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(300))
        let leader = try #require(cluster.leader, cluster.explain("no leader"))
        let follower = try #require(cluster.members.first { $0 != leader })
        let committed = cluster.commitIndex

        // The follower still reaches the leader but never hears from it: it times out.
        // In plain Raft it campaigns again and again, pushing up everyone's term;
        // PreVote and CheckQuorum keep it from disrupting a leader the others still hear.
        cluster.cut(from: leader, to: follower)
        cluster.run(for: .seconds(2))

        cluster.expectNoViolation()
        let settled = cluster.run(within: .seconds(1)) { $0.leader != nil }
        #expect(settled != nil, cluster.explain("no leader under a one-way cut"))
        #expect(cluster.commitIndex > committed, cluster.explain("nothing committed under a one-way cut"))
        cluster.expectNoViolation()
    }
}
