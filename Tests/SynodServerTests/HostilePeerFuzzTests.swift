import Foundation
import KV
import Raft
import Replication
import SynodCore
import SynodServer
import Testing

/// A hostile or buggy peer cannot crash a node (docs/protocol.md, "Peer port"): peer
/// frames built from valid ones of every kind, then mutated (a field set to 0, 2⁶², 2⁶³−1,
/// a byte flipped, the frame cut short...), go through the real decoder, and every one
/// that decodes is handed to a replica as the server would hand it. A trap kills the
/// test process, so passing is the assertion; afterwards the cluster must still elect a
/// leader and commit a write.
///
/// Replay one seed with every input printed: `HOSTILE_FUZZ_TRACE=1 swift test -c release
/// --filter HostilePeerFuzzTests`.
@Suite struct HostilePeerFuzzTests {
    /// 4,800 rounds of 24 frames each (and one message past the wire's limits): about
    /// a second in release mode on a 2-core host.
    static let seed: UInt64 = 0x5EED_F022
    static let rounds = 4_800
    static let framesPerRound = 24

    @Test func mutatedPeerFramesNeitherCrashAReplicaNorStopTheCluster() {
        var random = SeededGenerator(seed: Self.seed)
        let bases = HostileCluster.bases()
        var stats = FuzzStats()
        for round in 0..<Self.rounds {
            let committed = Self.attack(bases[round % bases.count], round: round, random: &random, stats: &stats)
            #expect(committed, "seed \(Self.seed), round \(round): no write committed after the hostile frames")
        }
        #expect(stats.roles.isSuperset(of: ["leader", "follower", "candidate", "pre-candidate"]))
        #expect(stats.decoded > stats.frames / 4, "too few mutated frames decode to exercise the handlers")
        #expect(stats.termsExhausted < Self.rounds / 2, "too few rounds left to check the cluster afterwards")
    }

    /// Feeds one replica of `base` a round of hostile frames from one of its peers, then
    /// heals the cluster; returns whether it still commits a write.
    static func attack(
        _ base: HostileScenario, round: Int, random: inout SeededGenerator, stats: inout FuzzStats
    ) -> Bool {
        var cluster = base.cluster
        let target = base.target
        let sender = cluster.members.first { $0 != target } ?? target
        stats.roles.insert(cluster.replicas[target]!.consensus.role.rawValue)
        for _ in 0..<Self.framesPerRound {
            let bytes = HostileFrames.frame(for: cluster, target: target, sender: sender, random: &random)
            stats.frames += 1
            guard let frame = HostileFrames.decode(bytes) else { continue }
            stats.decoded += 1
            cluster.deliverHostile(frame, from: sender, to: target, round: round)
        }
        let structured = HostileFrames.structuredMessage(for: cluster, target: target, sender: sender, random: &random)
        cluster.deliverDirect(structured, from: sender, to: target, round: round)
        cluster.heal()
        // A term pushed to the limit leaves no room for another election: a member can
        // always stall the cluster that way (the peer port has no authentication), but
        // not crash it. Every other round must still commit.
        let limit = RaftNode.messageValueLimit
        if cluster.members.contains(where: { cluster.replicas[$0]!.consensus.term.rawValue > limit - 1_000 }) {
            stats.termsExhausted += 1
            return true
        }
        return cluster.commitsAWrite(token: UInt64(round) + 1)
    }

    // MARK: Inputs that trapped before the handlers checked them

    /// AppendEntries whose entry index does not follow `prevLogIndex` tripped the log's
    /// contiguity precondition (the fuzz test's first find: prevLogIndex 12, one entry
    /// at index 11).
    @Test func entriesThatDoNotFollowPrevLogIndexAreIgnored() {
        var cluster = HostileCluster.withLeader()
        let follower = cluster.followers[0]
        let node = cluster.replicas[follower]!.consensus
        let last = node.log.lastIndex
        for index in [last.advanced(by: 5), LogIndex(1 << 62), LogIndex.zero] {
            let request = AppendEntries(
                term: node.term, prevLogIndex: last, prevLogTerm: node.log.lastTerm,
                entries: [LogEntry(term: node.term, index: index, kind: .command, data: [1])],
                leaderCommit: node.commitIndex)
            cluster.deliverWire(.appendEntries(request), from: cluster.leader!, to: follower)
        }
        #expect(cluster.replicas[follower]!.consensus.log.lastIndex == last)
        let committed = cluster.commitsAWrite(token: 1)
        #expect(committed)
    }

    /// An entry at `prevLogIndex` itself (index 0 on a fresh log) whose term differs
    /// asked the log to truncate at its base: a precondition trap.
    @Test func anEntryAtTheBaseIndexIsIgnored() {
        var cluster = HostileCluster.fresh()
        let request = AppendEntries(
            term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [LogEntry(term: 1, index: 0, kind: .noop, data: [])],
            leaderCommit: 0)
        cluster.deliverWire(.appendEntries(request), from: 2, to: 1)
        #expect(cluster.replicas[1]!.consensus.log.lastIndex == .zero)
        let committed = cluster.commitsAWrite(token: 1)
        #expect(committed)
    }

    /// Values the decoder refuses, handed to the core directly (an embedding that skips
    /// the wire), are dropped by the core too: an offset of `Int.max` overflowed
    /// `offset + data.count`.
    @Test func valuesBeyondTheWireLimitAreIgnoredByTheCore() {
        var cluster = HostileCluster.withLeader()
        let leader = cluster.leader!
        let follower = cluster.followers[0]
        let term = cluster.replicas[follower]!.consensus.term
        let messages: [RaftMessage] = [
            .installSnapshot(
                InstallSnapshot(term: term, lastIndex: 0, lastTerm: 0, offset: .max, data: [1, 2][...], done: true)),
            .installSnapshot(
                InstallSnapshot(term: term, lastIndex: 0, lastTerm: 0, offset: -1, data: [1][...], done: false)),
            .appendEntries(
                AppendEntries(term: term, prevLogIndex: LogIndex(.max), prevLogTerm: term, entries: [], leaderCommit: 0)
            ),
            .requestVote(RequestVote(term: Term(.max), lastLogIndex: LogIndex(.max), lastLogTerm: Term(.max))),
            .timeoutNow(TimeoutNow(term: Term(.max))),
        ]
        for message in messages { cluster.deliverDirect(message, from: leader, to: follower, round: 0) }
        let snapshotIndex = cluster.replicas[leader]!.consensus.snapshot?.lastIndex ?? .zero
        let answers: [RaftMessage] = [
            .installSnapshotResponse(
                InstallSnapshotResponse(term: term, lastIndex: snapshotIndex, received: -5, done: false)),
            .installSnapshotResponse(
                InstallSnapshotResponse(term: term, lastIndex: LogIndex(.max), received: .max, done: true)),
            .appendEntriesResponse(
                AppendEntriesResponse(
                    term: term, success: false, matchIndex: 0, rejectedIndex: LogIndex(.max),
                    conflictIndex: LogIndex(.max), conflictTerm: Term(.max))),
        ]
        for message in answers { cluster.deliverDirect(message, from: follower, to: leader, round: 0) }
        #expect(cluster.stopped.isEmpty)
        let committed = cluster.commitsAWrite(token: 1)
        #expect(committed)
    }

    // MARK: Fields checked against the receiver's state

    /// Entries that overwrite what the follower already committed cut its log below its
    /// commit index (no trap, but a log that no longer holds what it applied).
    @Test func entriesThatConflictWithCommittedOnesAreIgnored() {
        var cluster = HostileCluster.withLeader(snapshotEvery: 4)
        let follower = cluster.followers[0]
        let node = cluster.replicas[follower]!.consensus
        let commit = node.commitIndex
        let prev = max(node.log.baseIndex, commit.advanced(by: -2))
        // A later term, so that the entry conflicts with the committed one at its index.
        let request = AppendEntries(
            term: node.term.next, prevLogIndex: prev, prevLogTerm: node.log.term(at: prev)!,
            entries: [LogEntry(term: node.term.next, index: prev.advanced(by: 1), kind: .command, data: [9])],
            leaderCommit: 0)
        cluster.deliverWire(.appendEntries(request), from: cluster.leader!, to: follower)
        #expect(cluster.replicas[follower]!.consensus.log.lastIndex >= commit)
        let committed = cluster.commitsAWrite(token: 1)
        #expect(committed)
    }

    /// A forwarded write whose acknowledged mark is not below its own number (no
    /// forwarder sends one) is refused before it reaches the log.
    @Test func aForwardThatAcknowledgesItselfIsRefused() {
        var cluster = HostileCluster.withLeader()
        let leader = cluster.leader!
        let item = BatchItem(
            origin: ForwardOrigin(session: 77, sequence: 3, acknowledged: .max),
            command: KVRequest(command: .put(key: "k", value: "v"), time: cluster.now).encoded())
        let last = cluster.replicas[leader]!.consensus.log.lastIndex
        cluster.deliverHostile(
            .forward(id: 1, request: item.encoded()), from: cluster.followers[0], to: leader, round: 0)
        cluster.settle()
        #expect(cluster.replicas[leader]!.consensus.log.lastIndex == last)
    }
}

struct FuzzStats {
    var frames = 0
    var decoded = 0
    var termsExhausted = 0
    var roles: Set<String> = []
}

/// A cluster and the replica in it to feed hostile frames.
struct HostileScenario {
    var cluster: HostileCluster
    var target: NodeID
}

/// Three key-value replicas over Raft, driven by hand like the server drives one:
/// writes sync at once, messages are delivered in send order, batches and compactions
/// run when asked for. One replica at a time is fed hostile frames.
struct HostileCluster {
    typealias Core = ReplicaCore<RaftNode, KVStore>

    static let trace = ProcessInfo.processInfo.environment["HOSTILE_FUZZ_TRACE"] != nil

    let members: [NodeID] = [1, 2, 3]
    var now: Instant = .zero
    var replicas: [NodeID: Core] = [:]
    var messages: [Envelope<RaftMessage>] = []
    var forwards: [Envelope<ForwardMessage>] = []
    /// Replicas cut off from the others: what they send or are sent is dropped.
    var cut: Set<NodeID> = []
    var replies: [UInt64: WriteOutcome] = [:]
    var stopped: Set<NodeID> = []
    var wakeAt: [NodeID: Instant] = [:]
    var flushes: [NodeID] = []
    var compactions: [NodeID] = []

    init(snapshotEvery: Int = 6) {
        var options = ReplicaOptions()
        options.snapshotEvery = snapshotEvery
        // Small chunks and appends, so that snapshots go in several chunks and appends
        // carry few entries: more message shapes to mutate.
        let configuration = RaftConfiguration(maxEntriesPerAppend: 4, snapshotChunkSize: 48)
        for id in members {
            let raft = RaftNode(
                id: id, members: members, configuration: configuration, now: .zero,
                random: SeededGenerator(seed: 31, stream: UInt64(id.rawValue)))
            replicas[id] = try! Core(
                consensus: raft, snapshot: nil, options: options, now: .zero,
                random: SeededGenerator(seed: 32, stream: UInt64(id.rawValue)))
        }
    }

    static func fresh() -> HostileCluster { HostileCluster() }

    /// A cluster that elected a leader and committed (and compacted) a few writes.
    static func withLeader(snapshotEvery: Int = 6) -> HostileCluster {
        var cluster = HostileCluster(snapshotEvery: snapshotEvery)
        let leader = cluster.electLeader()!
        for token in 1...14 {
            cluster.write(
                .put(key: "k\(token % 5)", value: ByteString(String(repeating: "v", count: token))),
                token: 9_000 + UInt64(token),
                on: leader)
            cluster.settle()
        }
        cluster.advance(.milliseconds(20))
        return cluster
    }

    /// The starting points: a replica to attack in each role.
    static func bases() -> [HostileScenario] {
        let base = withLeader()
        let leader = base.leader!
        let follower = base.followers[0]
        var candidate = base
        let other = base.followers[1]
        candidate.step(leader) { core, now, out in
            _ = core.drive(at: now, into: &out) { raft, now, out in
                raft.transferLeadership(to: other, at: now, into: &out)
            }
        }
        // Only the TimeoutNow reaches its target, so it stays a candidate.
        candidate.messages = candidate.messages.filter {
            if case .timeoutNow = $0.message { return true } else { return false }
        }
        candidate.settleOnce()
        candidate.messages.removeAll()
        var preCandidate = base
        preCandidate.cut = [follower]
        for _ in 0..<100 where preCandidate.replicas[follower]!.consensus.role != .preCandidate {
            preCandidate.advance(.milliseconds(10))
        }
        preCandidate.cut = []
        preCandidate.messages.removeAll()
        return [
            HostileScenario(cluster: base, target: leader), HostileScenario(cluster: base, target: follower),
            HostileScenario(cluster: candidate, target: other),
            HostileScenario(cluster: preCandidate, target: follower),
        ]
    }

    var leader: NodeID? {
        members.first { !stopped.contains($0) && replicas[$0]!.consensus.role == .leader }
    }

    var followers: [NodeID] { members.filter { $0 != leader } }

    /// Feeds `id` one input and acts on what it asked for; its writes sync at once.
    mutating func step(_ id: NodeID, _ input: (inout Core, Instant, inout Core.Actions) -> Void) {
        guard !stopped.contains(id) else { return }
        var actions = Core.Actions()
        input(&replicas[id]!, now, &actions)
        if !cut.contains(id) {
            messages += actions.consensus.messages
            forwards += actions.forwards
        }
        for (token, outcome) in actions.replies { replies[token] = outcome }
        if actions.fatal != nil { stopped.insert(id) }
        if actions.flushBatch { flushes.append(id) }
        if actions.compactionDue { compactions.append(id) }
        wakeAt[id] = actions.wakeAt
        if let last = actions.consensus.writes.last {
            step(id) { core, now, out in core.synced(through: last.id, at: now, into: &out) }
        }
    }

    /// Delivers what waits, one input at a time; false when `limit` inputs did not
    /// empty the queues.
    @discardableResult
    mutating func settle(limit: Int = 20_000) -> Bool {
        for _ in 0..<limit {
            if !settleOnce() { return true }
        }
        return false
    }

    /// Runs one waiting input; false when nothing waits.
    @discardableResult
    mutating func settleOnce() -> Bool {
        if !flushes.isEmpty {
            let id = flushes.removeFirst()
            step(id) { core, now, out in core.proposeBatch(at: now, into: &out) }
        } else if !compactions.isEmpty {
            let id = compactions.removeFirst()
            step(id) { core, now, out in core.compact(at: now, into: &out) }
        } else if !messages.isEmpty {
            let envelope = messages.removeFirst()
            guard !cut.contains(envelope.to) else { return true }
            step(envelope.to) { core, now, out in core.receive(envelope, at: now, into: &out) }
        } else if !forwards.isEmpty {
            let envelope = forwards.removeFirst()
            guard !cut.contains(envelope.to) else { return true }
            step(envelope.to) { core, now, out in core.receive(envelope, at: now, into: &out) }
        } else {
            return false
        }
        return true
    }

    mutating func advance(_ span: TimeSpan) {
        now = now + span
        for id in members where (wakeAt[id] ?? .zero) <= now {
            step(id) { core, now, out in core.tick(at: now, into: &out) }
        }
        settle()
    }

    mutating func electLeader() -> NodeID? {
        for _ in 0..<400 {
            if let leader { return leader }
            advance(.milliseconds(5))
        }
        return nil
    }

    mutating func write(_ command: KVCommand, token: UInt64, on id: NodeID) {
        let request = KVRequest(command: command, time: now).encoded()
        step(id) { core, now, out in core.write(request, token: token, at: now, into: &out) }
    }

    /// Every link works again and nothing hostile is in flight.
    mutating func heal() {
        cut = []
        settle()
    }

    /// Whether a write taken by a live replica is answered with the machine's reply
    /// within ten simulated seconds (a refused one is written again).
    mutating func commitsAWrite(token: UInt64) -> Bool {
        let token = token | 1 << 40
        var waiting = false
        for _ in 0..<2_000 {
            if case .reply = replies[token] { return true }
            if replies.removeValue(forKey: token) != nil { waiting = false }
            if !waiting, let leader {
                write(.put(key: "after", value: "\(token)"), token: token, on: leader)
                waiting = true
            }
            advance(.milliseconds(5))
        }
        return false
    }

    /// Hands `frame` to `target` as the server's peer handler does: a Raft message
    /// addressed from the connection's peer, a forward decoded into a batch item.
    mutating func deliverHostile(_ frame: PeerFrame, from sender: NodeID, to target: NodeID, round: Int) {
        if Self.trace { print("round \(round): \(sender) -> \(target): \(frame)") }
        switch frame {
        case .hello, .refused:
            return
        case .raft(let envelope):
            let addressed = Envelope(from: sender, to: target, message: envelope.message)
            step(target) { core, now, out in core.receive(addressed, at: now, into: &out) }
        case .forward(let id, let request):
            guard let item = try? BatchItem(decoding: request) else { return }
            let envelope = Envelope<ForwardMessage>(from: sender, to: target, message: .request(id: id, item: item))
            step(target) { core, now, out in core.receive(envelope, at: now, into: &out) }
        case .forwardReply(let session, let id, let reply):
            let envelope = Envelope<ForwardMessage>(
                from: sender, to: target,
                message: .reply(session: session, id: id, outcome: WriteOutcome(decoding: reply)))
            step(target) { core, now, out in core.receive(envelope, at: now, into: &out) }
        }
        // What the target sent back reaches the others; the sender answers no more.
        messages.removeAll { $0.to == sender }
        forwards.removeAll { $0.to == sender }
    }

    /// Encodes `message`, decodes it with the real decoder and delivers what decodes.
    mutating func deliverWire(_ message: RaftMessage, from sender: NodeID, to target: NodeID) {
        let bytes = PeerFrame.raft(Envelope(from: sender, to: target, message: message)).encoded()
        guard let frame = HostileFrames.decode(bytes) else { return }
        deliverHostile(frame, from: sender, to: target, round: 0)
        settle()
    }

    /// Hands `message` to the core without the wire, values the decoder refuses included.
    mutating func deliverDirect(_ message: RaftMessage, from sender: NodeID, to target: NodeID, round: Int) {
        if Self.trace { print("round \(round): \(sender) -> \(target) (direct): \(message)") }
        let envelope = Envelope(from: sender, to: target, message: message)
        step(target) { core, now, out in core.receive(envelope, at: now, into: &out) }
        messages.removeAll { $0.to == sender }
    }
}

/// Builds hostile peer frames: valid frames of every kind shaped after the target's
/// state, then mutated at the field level or the byte level, or plain garbage.
enum HostileFrames {
    static func decode(_ bytes: [UInt8]) -> PeerFrame? {
        var decoder = PeerFrameDecoder(maxFrameSize: 1 << 20)
        decoder.append(bytes)
        return try? decoder.next()
    }

    /// One frame's bytes, which may or may not decode.
    static func frame(for cluster: HostileCluster, target: NodeID, sender: NodeID, random: inout SeededGenerator)
        -> [UInt8]
    {
        let pick = random.below(100)
        if pick < 6 {
            // Garbage: a plausible header and random bytes.
            let count = Int(random.below(40))
            let kind = UInt8(random.below(7))
            var bytes = littleEndian(UInt32(count + 1)) + [kind]
            for _ in 0..<count { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
            return bytes
        }
        let frame: PeerFrame
        if pick < 16 {
            frame = forwardFrame(for: cluster, target: target, random: &random)
        } else {
            let message = structuredMessage(for: cluster, target: target, sender: sender, random: &random)
            guard message.isEncodable else { return [] }
            frame = .raft(Envelope(from: sender, to: target, message: message))
        }
        var bytes = frame.encoded()
        if random.chance(0.45) { mutateBytes(&bytes, random: &random) }
        return bytes
    }

    /// A valid message of a random kind, then, more often than not, one field set to a
    /// value at or past an edge.
    static func structuredMessage(
        for cluster: HostileCluster, target: NodeID, sender: NodeID, random: inout SeededGenerator
    ) -> RaftMessage {
        var message = validMessage(for: cluster, target: target, random: &random)
        let mutations = Int(random.below(3))
        for _ in 0..<mutations { message = mutate(message, random: &random) }
        return message
    }

    static func validMessage(for cluster: HostileCluster, target: NodeID, random: inout SeededGenerator)
        -> RaftMessage
    {
        let node = cluster.replicas[target]!.consensus
        // The longest log in the cluster supplies entries and snapshots.
        let source = cluster.members.map { cluster.replicas[$0]!.consensus }.max {
            $0.log.lastIndex < $1.log.lastIndex
        }!
        let term = random.chance(0.8) ? node.term : node.term.next
        let last = node.log.lastIndex
        switch random.below(9) {
        case 0:
            return .requestVote(
                RequestVote(
                    term: term.next, lastLogIndex: source.log.lastIndex, lastLogTerm: source.log.lastTerm,
                    isPreVote: random.chance(0.5), isTransfer: random.chance(0.3)))
        case 1:
            return .requestVoteResponse(
                RequestVoteResponse(
                    term: random.chance(0.5) ? term : term.next, granted: true, isPreVote: random.chance(0.5)))
        case 2:
            let base = source.log.baseIndex
            let span = source.log.lastIndex.rawValue - base.rawValue
            let prev = LogIndex(base.rawValue + random.below(span + 1))
            let entries = Array(source.log.entries(from: prev.advanced(by: 1), limit: Int(random.below(4))))
            return .appendEntries(
                AppendEntries(
                    term: max(term, source.log.lastTerm), prevLogIndex: prev,
                    prevLogTerm: source.log.term(at: prev) ?? 0,
                    entries: entries, leaderCommit: source.commitIndex, round: UInt64(random.below(20))))
        case 3:
            var response =
                random.chance(0.5)
                ? AppendEntriesResponse.accepted(term: term, matchIndex: LogIndex(random.below(last.rawValue + 1)))
                : AppendEntriesResponse.rejected(
                    term: term, rejectedIndex: last, conflictIndex: LogIndex(random.below(last.rawValue + 2)),
                    conflictTerm: random.chance(0.5) ? node.log.lastTerm : nil)
            response.round = UInt64(random.below(20))
            return .appendEntriesResponse(response)
        case 4:
            return .timeoutNow(TimeoutNow(term: term))
        case 5:
            return .readIndexRequest(ReadIndexRequest(term: term, id: random.next()))
        case 6:
            return .readIndexResponse(
                ReadIndexResponse(term: term, id: random.next(), index: random.chance(0.7) ? node.commitIndex : nil))
        case 7:
            guard let snapshot = source.snapshot else { return .timeoutNow(TimeoutNow(term: term)) }
            let chunk = 48
            let offset = min(Int(random.below(UInt64(snapshot.data.count / chunk + 1))) * chunk, snapshot.data.count)
            let end = min(offset + chunk, snapshot.data.count)
            return .installSnapshot(
                InstallSnapshot(
                    term: max(term, snapshot.lastTerm), lastIndex: snapshot.lastIndex, lastTerm: snapshot.lastTerm,
                    offset: offset, data: snapshot.data[offset..<end], done: end == snapshot.data.count,
                    round: UInt64(random.below(20))))
        default:
            let index = node.snapshot?.lastIndex ?? last
            return .installSnapshotResponse(
                InstallSnapshotResponse(
                    term: term, lastIndex: index, received: Int(random.below(200)), done: random.chance(0.4),
                    round: UInt64(random.below(20))))
        }
    }

    /// Values at the edges the issue names: 0, 1, −1, 2⁶², past it, `Int.max`, `UInt64.max`.
    static func edge(near value: UInt64, random: inout SeededGenerator) -> UInt64 {
        let edges: [UInt64] = [
            0, 1, value &- 1, value &+ 1, value &+ 1_000, 1 << 62, (1 << 62) - 1, (1 << 62) + 1, UInt64(Int.max),
            .max, random.next(),
        ]
        return edges[Int(random.below(UInt64(edges.count)))]
    }

    static func edge(near value: Int, random: inout SeededGenerator) -> Int {
        let edges: [Int] = [0, 1, -1, value &- 1, value &+ 1, value &+ 10_000, 1 << 62, (1 << 62) + 1, .max, .min]
        return edges[Int(random.below(UInt64(edges.count)))]
    }

    static func mutate(_ message: RaftMessage, random: inout SeededGenerator) -> RaftMessage {
        func term(_ t: Term) -> Term { Term(edge(near: t.rawValue, random: &random)) }
        func index(_ i: LogIndex) -> LogIndex { LogIndex(edge(near: i.rawValue, random: &random)) }
        let field = random.below(6)
        switch message {
        case .requestVote(var m):
            switch field {
            case 0: m.term = term(m.term)
            case 1: m.lastLogIndex = index(m.lastLogIndex)
            case 2: m.lastLogTerm = term(m.lastLogTerm)
            default: m.isTransfer.toggle()
            }
            return .requestVote(m)
        case .requestVoteResponse(var m):
            if field < 3 { m.term = term(m.term) } else { m.isPreVote.toggle() }
            return .requestVoteResponse(m)
        case .appendEntries(var m):
            switch field {
            case 0: m.term = term(m.term)
            case 1: m.prevLogIndex = index(m.prevLogIndex)
            case 2: m.prevLogTerm = term(m.prevLogTerm)
            case 3: m.leaderCommit = index(m.leaderCommit)
            case 4: m.round = edge(near: m.round, random: &random)
            default:
                if m.entries.isEmpty {
                    m.entries = [LogEntry(term: m.term, index: index(m.prevLogIndex), kind: .command, data: [0])]
                } else {
                    let at = Int(random.below(UInt64(m.entries.count)))
                    switch random.below(4) {
                    case 0: m.entries[at].index = index(m.entries[at].index)
                    case 1: m.entries[at].term = term(m.entries[at].term)
                    case 2: m.entries.append(m.entries[at])
                    default: m.entries.swapAt(0, at)
                    }
                }
            }
            return .appendEntries(m)
        case .appendEntriesResponse(var m):
            switch field {
            case 0: m.term = term(m.term)
            case 1: m.matchIndex = index(m.matchIndex)
            case 2: m.rejectedIndex = index(m.rejectedIndex)
            case 3: m.conflictIndex = index(m.conflictIndex)
            case 4: m.conflictTerm = term(m.conflictTerm ?? 1)
            default: m.round = edge(near: m.round, random: &random)
            }
            if random.chance(0.3) { m.success.toggle() }
            return .appendEntriesResponse(m)
        case .timeoutNow(var m):
            m.term = term(m.term)
            return .timeoutNow(m)
        case .readIndexRequest(var m):
            m.term = term(m.term)
            return .readIndexRequest(m)
        case .readIndexResponse(var m):
            if field < 3 { m.index = index(m.index ?? 0) } else { m.term = term(m.term) }
            return .readIndexResponse(m)
        case .installSnapshot(var m):
            switch field {
            case 0: m.term = term(m.term)
            case 1: m.lastIndex = index(m.lastIndex)
            case 2: m.lastTerm = term(m.lastTerm)
            case 3: m.offset = edge(near: m.offset, random: &random)
            case 4: m.done.toggle()
            default: m.round = edge(near: m.round, random: &random)
            }
            return .installSnapshot(m)
        case .installSnapshotResponse(var m):
            switch field {
            case 0: m.term = term(m.term)
            case 1: m.lastIndex = index(m.lastIndex)
            case 2, 3: m.received = edge(near: m.received, random: &random)
            case 4: m.done.toggle()
            default: m.round = edge(near: m.round, random: &random)
            }
            return .installSnapshotResponse(m)
        }
    }

    static func forwardFrame(for cluster: HostileCluster, target: NodeID, random: inout SeededGenerator) -> PeerFrame {
        let core = cluster.replicas[target]!
        if random.chance(0.5) {
            let command = KVRequest(command: .put(key: "f", value: "\(random.below(9))"), time: cluster.now)
            let sequence = edge(near: UInt64(5), random: &random)
            let origin = ForwardOrigin(
                session: random.chance(0.5) ? core.session : random.next(), sequence: sequence,
                acknowledged: random.chance(0.5) ? sequence &- 1 : edge(near: sequence, random: &random))
            let item = BatchItem(origin: random.chance(0.9) ? origin : nil, command: command.encoded())
            return .forward(id: edge(near: UInt64(3), random: &random), request: item.encoded())
        }
        let outcome: WriteOutcome = random.chance(0.5) ? .reply([1, 2, 3]) : .failed("no")
        return .forwardReply(
            session: random.chance(0.7) ? core.session : random.next(), id: edge(near: UInt64(1), random: &random),
            reply: outcome.encoded())
    }

    /// Flips bits, overwrites or drops bytes, cuts the frame short, with or without
    /// fixing the length prefix.
    static func mutateBytes(_ bytes: inout [UInt8], random: inout SeededGenerator) {
        let count = 1 + Int(random.below(3))
        for _ in 0..<count where bytes.count > 5 {
            let at = 5 + Int(random.below(UInt64(bytes.count - 5)))
            switch random.below(5) {
            case 0: bytes[at] ^= 1 << UInt8(random.below(8))
            case 1: bytes[at] = [0x00, 0x01, 0x7F, 0x80, 0xFF][Int(random.below(5))]
            case 2: bytes.removeSubrange(at...)
            case 3: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            default: bytes.remove(at: at)
            }
        }
        if random.chance(0.8) {
            let length = littleEndian(UInt32(bytes.count - 4))
            bytes.replaceSubrange(0..<4, with: length)
        }
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}

extension RaftMessage {
    /// Whether the encoder can write it: it refuses a negative offset or count.
    var isEncodable: Bool {
        switch self {
        case .installSnapshot(let m): m.offset >= 0
        case .installSnapshotResponse(let m): m.received >= 0
        default: true
        }
    }
}

extension SeededGenerator {
    /// A uniform value in `0..<bound` (the `Int` form is in RESPTestSupport.swift).
    mutating func below(_ bound: UInt64) -> UInt64 { next(upperBound: bound) }
}
