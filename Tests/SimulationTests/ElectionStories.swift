import Raft
import Simulation
import SynodCore
import Testing

/// Leader election in a whole simulated cluster (Raft §5.2): from a cold start, through
/// a split vote, and after the leader dies.
@Suite struct ElectionStories {
    @Test(arguments: storySeeds)
    func aColdClusterElectsExactlyOneLeaderWithinASecondAndStartsCommitting(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed)
        #expect(cluster.leaders.isEmpty, cluster.explain("a leader before anyone timed out"))

        let took = cluster.run(within: .seconds(1)) { $0.leader != nil }
        #expect(took != nil, cluster.explain("no leader within 1 s of a cold start"))
        let leader = try #require(cluster.leader)
        let term = cluster.leaderTerm

        cluster.run(for: .milliseconds(500))
        #expect(cluster.leaders == [leader], cluster.explain("\(leader) should be the only leader"))
        for server in cluster.liveServers where server.id != leader {
            #expect(
                server.role == .follower && server.term == term && server.leaderID == leader,
                cluster.explain("\(server.id) should follow \(leader) in term \(term)"))
        }

        let committed = cluster.commitIndex
        #expect(committed > .zero, cluster.explain("nothing committed half a second after the election"))
        cluster.run(for: .milliseconds(500))
        // Clients propose 100 commands a second: half a second must commit dozens.
        #expect(
            cluster.commitIndex > committed.advanced(by: 20),
            cluster.explain("the commit index only went from \(committed) to \(cluster.commitIndex)"))
        #expect(cluster.report.commits > 20, cluster.explain("only \(cluster.report.commits) commands committed"))
        cluster.expectNoViolation()
    }

    @Test(arguments: storySeeds)
    func serversThatAllTimeOutTogetherSplitTheVoteYetOneLeaderEmergesAndCommits(seed: UInt64) throws {
        // One fixed election timeout: every server times out at the same moment (up to
        // clock drift), votes for itself, and no one can gather a majority. Plain Raft,
        // as in the paper: PreVote's extra round trip can break the tie before anyone
        // casts a vote, which is another story.
        var raft = RaftConfiguration(electionTimeoutMin: .milliseconds(150), electionTimeoutMax: .milliseconds(150))
        raft.elections = .plain
        var cluster = Simulation.story(seed: seed, raft: raft)

        cluster.run(until: .zero + .milliseconds(160))
        #expect(cluster.leaders.isEmpty, cluster.explain("the first round should split the vote"))
        #expect(
            cluster.report.elections >= cluster.members.count,
            cluster.explain("every server should have stood in the first round"))

        // Drift and latency slowly break the symmetry.
        let took = cluster.run(within: .seconds(30)) { $0.leader != nil }
        #expect(took != nil, cluster.explain("the split vote never resolved"))
        let leader = try #require(cluster.leader)
        #expect(
            cluster.report.elections > cluster.members.count,
            cluster.explain("only \(cluster.report.elections) candidacies: the first round was not split"))
        #expect(cluster.leaderTerm > 1, cluster.explain("a leader in term 1 means the vote never split"))

        let committed = cluster.commitIndex
        cluster.run(for: .milliseconds(500))
        #expect(cluster.leaders == [leader], cluster.explain("\(leader) should be the only leader"))
        #expect(cluster.commitIndex > committed, cluster.explain("no proposal committed after the split vote"))
        cluster.expectNoViolation()
    }

    @Test(arguments: storySeeds)
    func whenTheLeaderCrashesAnotherTakesOverWithinASecondAndNothingCommittedIsLost(seed: UInt64) throws {
        var cluster = Simulation.story(seed: seed)
        cluster.run(within: .seconds(1)) { $0.leader != nil }
        cluster.run(for: .milliseconds(500))
        let old = try #require(cluster.leader, cluster.explain("no leader to crash"))
        let committed = cluster.commitIndex
        let committedEntries = Array(
            try #require(cluster.server(old)).log.entries(from: 1, limit: Int(committed.rawValue)))
        #expect(
            committedEntries.count == Int(committed.rawValue), cluster.explain("the leader lacks committed entries"))

        cluster.crash(old)
        let took = cluster.run(within: .seconds(1)) { $0.leader != nil && $0.leader != old }
        #expect(took != nil, cluster.explain("no new leader within 1 s of \(old) crashing"))
        let new = try #require(cluster.leader)

        cluster.run(for: .milliseconds(500))
        #expect(
            cluster.commitIndex > committed.advanced(by: 10),
            cluster.explain("the commit index only went from \(committed) to \(cluster.commitIndex)"))
        let kept = Array(try #require(cluster.server(new)).log.entries(from: 1, limit: committedEntries.count))
        #expect(kept == committedEntries, cluster.explain("\(new) lost or changed entries committed under \(old)"))
        cluster.expectNoViolation()
    }
}
