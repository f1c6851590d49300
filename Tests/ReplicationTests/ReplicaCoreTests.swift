import KV
import Raft
import Replication
import SynodCore
import Testing

/// The replica layer on its own, without sockets or a simulator: forwarding, the
/// session a forward's reply names, reads that end at their deadline, a leader that
/// refuses while it hands over, and a snapshot that cannot be trusted.
@Suite struct ReplicaCoreTests {
    @Test func aWriteToAFollowerIsForwardedAndAnsweredOnceApplied() throws {
        var cluster = ReplicaCluster()
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        let follower = try #require(cluster.members.first { $0 != leader })
        cluster.write(.append(key: "a", suffix: "x"), token: 1, on: follower)
        #expect(cluster.forwards.contains { $0.from == follower && $0.to == leader })
        cluster.settle()
        #expect(ReplicaCluster.reply(cluster.replies[1]) == .integer(1))
        cluster.advance(.milliseconds(20))
        for id in cluster.members { #expect(cluster.value("a", on: id) == "x", "\(id) applied the write once") }
    }

    @Test func aReplyMeantForAnEarlierRunOfTheForwarderIsIgnored() throws {
        // Regression: synod sim --workload kv --read-mode follower-readindex --seed 248
        // answered a restarted follower's first write with a reply its previous run was
        // owed (both numbered 1), a stale read followed.
        var cluster = ReplicaCluster()
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        let follower = try #require(cluster.members.first { $0 != leader })
        cluster.write(.delete(key: "a"), token: 1, on: follower)
        let session = try #require(cluster.replicas[follower]?.session)
        let stale = Envelope(
            from: leader, to: follower,
            message: ForwardMessage.reply(session: session &+ 2, id: 1, outcome: .reply(KVReply.integer(16).encoded())))
        cluster.step(follower) { core, now, out in core.receive(stale, at: now, into: &out) }
        #expect(cluster.replies[1] == nil, "a reply to another session answered this one")
        cluster.settle()
        #expect(ReplicaCluster.reply(cluster.replies[1]) == .done)
    }

    @Test func aReadWhoseReadIndexRequestIsLostFailsAtItsDeadline() throws {
        var options = ReplicaOptions()
        options.requestTimeout = .milliseconds(300)
        var cluster = ReplicaCluster(options: options)
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        let follower = try #require(cluster.members.first { $0 != leader })
        cluster.cut.insert([follower, leader])
        cluster.step(follower) { core, now, out in core.read(token: 7, at: now, into: &out) }
        cluster.settle()
        #expect(cluster.reads[7] == nil)
        cluster.advance(.milliseconds(299))
        #expect(cluster.reads[7] == nil, "answered before the deadline")
        cluster.advance(.milliseconds(2))
        #expect(cluster.reads[7] == false, "the read never ended")
    }

    @Test func aLeaderHandingOverLeadershipDoesNotSpinOnItsBatch() throws {
        // Regression: synod sim --workload kv --seed 7 (also 12, 13) looped at one
        // instant: the leader refused its own batch during a transfer and put the writes
        // straight back into it.
        var cluster = ReplicaCluster()
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        let target = try #require(cluster.members.first { $0 != leader })
        cluster.cut.insert([leader, target])
        cluster.step(leader) { core, now, out in
            _ = core.drive(at: now, into: &out) { node, now, out in
                node.transferLeadership(to: target, at: now, into: &out)
            }
        }
        #expect(cluster.replicas[leader]?.consensus.isLeader == false, "a transferring leader takes proposals")
        cluster.write(.put(key: "k", value: "v"), token: 3, on: leader)
        let settled = cluster.settle(limit: 1_000)
        #expect(settled, "the batch went round in a loop")
        cluster.cut.removeAll()
        for _ in 0..<100 where cluster.replies[3] == nil { cluster.advance(.milliseconds(10)) }
        #expect(ReplicaCluster.reply(cluster.replies[3]) == .done)
    }

    @Test func aSnapshotThatDoesNotDecodeStopsTheReplica() throws {
        var cluster = ReplicaCluster()
        let garbage = InstallSnapshot(term: 9, lastIndex: 50, lastTerm: 9, offset: 0, data: [7, 7, 7], done: true)
        let from = NodeID(2)
        cluster.step(1) { core, now, out in
            core.receive(Envelope(from: from, to: 1, message: .installSnapshot(garbage)), at: now, into: &out)
        }
        let reason = try #require(cluster.fatal[1], "a replica went on from a snapshot it cannot decode")
        #expect(reason.contains("through 50"))
        #expect(cluster.replicas[1]?.stopped != nil)
        cluster.write(.put(key: "k", value: "v"), token: 1, on: 1)
        #expect(cluster.replies[1] == nil, "a stopped replica took a write")
        #expect(throws: (any Error).self) {
            _ = try ReplicaCluster.Core(
                consensus: RaftNode(id: 1, members: [1], now: .zero, random: SeededGenerator(seed: 1)),
                snapshot: Snapshot(lastIndex: 3, lastTerm: 1, data: [1, 2]), options: ReplicaOptions(), now: .zero,
                random: SeededGenerator(seed: 1))
        }
    }

    /// The server decodes a leader's snapshot off its event loop: the replica hands it
    /// out, holds the entries committed after it, and applies them once the decoded
    /// state comes back; a result for a replaced snapshot is dropped.
    @Test func aSnapshotDecodedOffThreadHoldsLaterEntriesUntilItsStateArrives() throws {
        var options = ReplicaOptions()
        options.restoresOffThread = true
        var store = KVStore()
        _ = store.apply(KVRequest(command: .put(key: "k", value: "from the snapshot"), time: .zero), at: 50)
        let image = ReplicatedState<KVStore>(machine: store)
        var core = try ReplicaCluster.Core(
            consensus: RaftNode(id: 1, members: [1, 2, 3], now: .zero, random: SeededGenerator(seed: 1)),
            snapshot: nil, options: options, now: .zero, random: SeededGenerator(seed: 2))
        var actions = ReplicaCluster.Core.Actions()
        let install = InstallSnapshot(
            term: 9, lastIndex: 50, lastTerm: 9, offset: 0, data: image.snapshot()[...], done: true)
        core.receive(Envelope(from: 2, to: 1, message: .installSnapshot(install)), at: .zero, into: &actions)
        let due = try #require(actions.restoreDue, "the snapshot was not handed out to decode")
        #expect(due.lastIndex == 50)
        #expect(core.state.machine.read("k").value == nil, "the machine changed before its state arrived")

        // Entry 51 commits while the snapshot decodes: it waits.
        let entry = LogEntry(term: 9, index: 51, kind: .noop, data: [])
        let append = AppendEntries(
            term: 9, prevLogIndex: 50, prevLogTerm: 9, entries: [entry], leaderCommit: 51)
        actions.removeAll()
        core.receive(Envelope(from: 2, to: 1, message: .appendEntries(append)), at: .zero, into: &actions)
        if let last = actions.consensus.writes.last {
            actions.removeAll()
            core.synced(through: last.id, at: .zero, into: &actions)
        }
        #expect(core.state.appliedIndex < 51, "an entry applied on top of the old state")

        // A result for an older snapshot is dropped; the right one installs and applies.
        actions.removeAll()
        core.restored(.success(ReplicatedState()), through: 40, at: .zero, into: &actions)
        #expect(core.state.machine.read("k").value == nil)
        let decoded = try ReplicatedState<KVStore>(snapshot: due.data)
        core.restored(.success(decoded), through: 50, at: .zero, into: &actions)
        #expect(core.state.machine.read("k").value == "from the snapshot")
        #expect(core.state.appliedIndex == 51)
        #expect(core.compactedThrough == 50)
        #expect(actions.fatal == nil)
    }

    @Test func aSnapshotThatFailsToDecodeOffThreadStopsTheReplica() throws {
        var options = ReplicaOptions()
        options.restoresOffThread = true
        var core = try ReplicaCluster.Core(
            consensus: RaftNode(id: 1, members: [1, 2, 3], now: .zero, random: SeededGenerator(seed: 1)),
            snapshot: nil, options: options, now: .zero, random: SeededGenerator(seed: 2))
        var actions = ReplicaCluster.Core.Actions()
        let install = InstallSnapshot(term: 9, lastIndex: 50, lastTerm: 9, offset: 0, data: [7, 7], done: true)
        core.receive(Envelope(from: 2, to: 1, message: .installSnapshot(install)), at: .zero, into: &actions)
        let due = try #require(actions.restoreDue)
        actions.removeAll()
        core.restored(
            Result { try ReplicatedState<KVStore>(snapshot: due.data) }, through: 50, at: .zero, into: &actions)
        let reason = try #require(actions.fatal, "a replica went on from a snapshot it cannot decode")
        #expect(reason.contains("through 50"))
        #expect(core.stopped != nil)
    }
}

/// Read ids are unique across restarts: a ReadIndex answer still in flight from a
/// server's previous run must not be taken for a read of its new run.
@Suite struct ReadIDAcrossRestartsTests {
    @Test func anAnswerToTheRunBeforeARestartDoesNotServeANewRead() throws {
        var cluster = ReplicaCluster()
        let elected = cluster.electLeader()
        let leader = try #require(elected)
        let follower = try #require(cluster.members.first { $0 != leader })
        let term = try #require(cluster.replicas[leader]).consensus.term
        cluster.step(follower) { core, now, out in core.read(token: 7, at: now, into: &out) }
        let before = try #require(Self.readRequestIDs(&cluster, from: follower).last)
        // The follower restarts: a new run of the replica over the same server.
        cluster.replicas[follower] = try ReplicaCluster.Core(
            consensus: RaftNode(
                id: follower, members: cluster.members, now: cluster.now,
                random: SeededGenerator(seed: 11, stream: UInt64(follower.rawValue))),
            snapshot: nil, options: ReplicaOptions(), now: cluster.now,
            random: SeededGenerator(seed: 21, stream: UInt64(follower.rawValue)))
        cluster.wakeAt[follower] = nil
        for _ in 0..<20 where cluster.replicas[follower]?.consensus.leaderID != leader {
            cluster.advance(.milliseconds(5))
        }
        cluster.cut.insert([follower, leader])
        cluster.step(follower) { core, now, out in core.read(token: 8, at: now, into: &out) }
        let after = try #require(Self.readRequestIDs(&cluster, from: follower).last)
        #expect(after != before, "the new run numbered its read as the old run did")
        // The answer to the old run's read arrives now.
        let stale = Envelope(
            from: leader, to: follower,
            message: RaftMessage.readIndexResponse(ReadIndexResponse(term: term, id: before, index: .zero)))
        cluster.step(follower) { core, now, out in core.receive(stale, at: now, into: &out) }
        #expect(cluster.reads[8] == nil, "an answer meant for the previous run served a new read")
    }

    /// Takes the ReadIndex requests `id` sent and returns their read ids.
    static func readRequestIDs(_ cluster: inout ReplicaCluster, from id: NodeID) -> [UInt64] {
        let sent = cluster.messages.filter { $0.from == id }
        cluster.messages.removeAll { $0.from == id }
        return sent.compactMap {
            if case .readIndexRequest(let request) = $0.message { return request.id } else { return nil }
        }
    }
}
