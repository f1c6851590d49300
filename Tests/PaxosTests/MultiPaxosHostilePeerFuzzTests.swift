import Paxos
import SynodCore
import Testing

/// A hostile or buggy peer cannot crash a Multi-Paxos server: valid messages of every
/// kind, shaped after the target's state, get one or two fields set to a value at or past
/// an edge (0, 2⁶², `Int.max`, `UInt64.max`, a slot far beyond the log...) and go to a
/// leader, a follower and a candidate. A trap kills the test process, so passing is the
/// assertion; afterwards the cluster must still choose a value.
@Suite struct MultiPaxosHostilePeerFuzzTests {
    /// 3,600 rounds of 24 messages each: about 1.5 s in release mode on a 2-core host.
    static let seed: UInt64 = 0x5EED_BA11
    static let rounds = 3_600
    static let messagesPerRound = 24

    @Test func mutatedMessagesNeitherCrashAServerNorStopTheCluster() {
        var random = SeededGenerator(seed: Self.seed)
        let bases = Self.bases()
        var roles: Set<MultiPaxosRole> = []
        for round in 0..<Self.rounds {
            var cluster = bases[round % bases.count].0
            let target = bases[round % bases.count].1
            let sender = target == 1 ? 2 : 1
            roles.insert(cluster.node(target).role)
            for _ in 0..<Self.messagesPerRound {
                let message = Self.message(for: cluster, target: target, sender: sender, random: &random)
                cluster.input(target) { node, now, out in
                    node.receive(
                        Envelope(from: NodeID(sender), to: NodeID(target), message: message), at: now, into: &out)
                }
            }
            cluster.queue.removeAll { $0.to == NodeID(sender) }
            cluster.reconnect(3)
            let chosen = Self.choosesAValue(&cluster, text: "after \(round)")
            #expect(chosen, "seed \(Self.seed), round \(round): nothing chosen after the hostile messages")
        }
        #expect(roles == [.leader, .follower, .candidate])
    }

    // MARK: Inputs that trapped before the handlers checked them

    /// A ballot of round `UInt64.max` became the highest seen; the next campaign's
    /// `round + 1` overflowed.
    @Test func aBallotAtTheTopOfItsRangeIsIgnored() {
        var cluster = Self.leaderCluster()
        let top = Ballot(round: .max, node: 2)
        cluster.input(3) { node, now, out in
            node.receive(
                Envelope(from: 2, to: 3, message: .heartbeat(Heartbeat(ballot: top, commit: 0, round: 1))), at: now,
                into: &out)
        }
        // Cut off, it campaigns above the highest ballot it saw.
        cluster.isolate(3)
        cluster.advance(.milliseconds(400))
        let chosen = Self.choosesAValue(&cluster, text: "x")
        #expect(chosen)
    }

    /// Slot 0 has no place in the log (slot `i` lives at `i − 1`): accepting it indexed
    /// position −1; a slot past `Int.max` trapped converting to `Int`; one far beyond
    /// the log grew it by that many slots.
    @Test func slotsOutsideTheLogAreIgnored() {
        var cluster = Self.leaderCluster()
        let ballot = cluster.node(1).ballot
        for slot: UInt64 in [0, 1 << 40, 1 << 62, .max] {
            let entry = LogEntry(term: ballot.generation, index: LogIndex(slot), kind: .command, data: [1])
            for message: MultiPaxosMessage in [
                .accept(Accept(ballot: ballot, entries: [entry], commit: 0)),
                .learn(Learn(ballot: ballot, entries: [entry])),
                .prepare(Prepare(ballot: ballot, fromSlot: LogIndex(slot))),
            ] {
                cluster.input(2) { node, now, out in
                    node.receive(Envelope(from: 1, to: 2, message: message), at: now, into: &out)
                }
            }
        }
        #expect(cluster.node(2).log.lastSlot < LogIndex(1 << 20))
        let chosen = Self.choosesAValue(&cluster, text: "y")
        #expect(chosen)
    }

    /// A follower's High-Water Mark of `Int.max` in an Accepted made the leader's
    /// catch-up compute `committed + 1`, which overflowed.
    @Test func anImpossibleHighWaterMarkIsIgnored() {
        var cluster = Self.leaderCluster()
        let ballot = cluster.node(1).ballot
        for committed: UInt64 in [UInt64(Int.max), .max] {
            let accepted = Accepted(
                ballot: ballot, slots: [LogIndex(committed)], committed: LogIndex(committed), behind: true)
            let ack = HeartbeatAck(ballot: ballot, committed: LogIndex(committed), round: .max)
            cluster.input(1) { node, now, out in
                node.receive(Envelope(from: 2, to: 1, message: .accepted(accepted)), at: now, into: &out)
            }
            cluster.input(1) { node, now, out in
                node.receive(Envelope(from: 2, to: 1, message: .heartbeatAck(ack)), at: now, into: &out)
            }
        }
        let chosen = Self.choosesAValue(&cluster, text: "z")
        #expect(chosen)
    }

    /// A promise reporting a slot at 2⁶² made the new leader fill every slot up to it
    /// with a no-op.
    @Test func aPromiseOfASlotFarBeyondTheLogIsIgnored() {
        var cluster = Self.leaderCluster()
        cluster.isolate(3)
        cluster.advance(.milliseconds(400))
        #expect(cluster.node(3).role == .candidate)
        let ballot = cluster.node(3).ballot
        let far = LogEntry(term: ballot.generation, index: LogIndex(1 << 62), kind: .command, data: [7])
        let promise = Promise(ballot: ballot, accepted: [AcceptedSlot(ballot: ballot, entry: far)], chosen: [far])
        cluster.input(3) { node, now, out in
            node.receive(Envelope(from: 2, to: 3, message: .promise(promise)), at: now, into: &out)
        }
        #expect(cluster.node(3).log.lastSlot < LogIndex(1 << 20))
        cluster.reconnect(3)
        let chosen = Self.choosesAValue(&cluster, text: "w")
        #expect(chosen)
    }

    // MARK: Support

    static func leaderCluster() -> MultiPaxosTestCluster {
        var cluster = MultiPaxosTestCluster(nodes: 3, seed: 5)
        cluster.elect(1)
        for value in 0..<6 { _ = cluster.propose(1, "v\(value)") }
        cluster.deliverAll()
        cluster.advance(.milliseconds(10))
        cluster.deliverAll()
        return cluster
    }

    /// A leader (1), a follower (2) and a candidate (3, cut off while it runs phase 1).
    static func bases() -> [(MultiPaxosTestCluster, Int)] {
        let base = leaderCluster()
        var candidate = base
        candidate.isolate(3)
        candidate.advance(.milliseconds(400))
        candidate.queue.removeAll()
        return [(base, 1), (base, 2), (candidate, 3)]
    }

    /// Runs the cluster until some server leads and chooses `text`.
    static func choosesAValue(_ cluster: inout MultiPaxosTestCluster, text: String) -> Bool {
        cluster.reconnect(1)
        cluster.reconnect(2)
        cluster.reconnect(3)
        for _ in 0..<400 {
            cluster.advance(.milliseconds(5))
            cluster.deliverAll()
            if let leader = (1...3).first(where: { cluster.node($0).role == .leader }) {
                if case .accepted = cluster.propose(leader, text) { cluster.deliverAll() }
            }
            let chosen = (1...3).filter { id in cluster.texts(id).contains(text) }
            if chosen.count >= 2 { return true }
        }
        return false
    }

    static func message(
        for cluster: MultiPaxosTestCluster, target: Int, sender: Int, random: inout SeededGenerator
    ) -> MultiPaxosMessage {
        let node = cluster.node(target)
        let senderBallot = Ballot(round: node.promised.round + UInt64(random.below(2)), node: NodeID(sender))
        let ballot = random.chance(0.5) ? node.ballot : senderBallot
        let last = node.log.lastSlot
        func entry(_ slot: LogIndex) -> LogEntry {
            LogEntry(
                term: ballot.generation, index: slot, kind: .command, data: [UInt8(truncatingIfNeeded: slot.rawValue)])
        }
        let slots = (0..<random.below(3)).map { last.advanced(by: 1 + $0) }
        var message: MultiPaxosMessage =
            switch random.below(8) {
            case 0: .prepare(Prepare(ballot: senderBallot, fromSlot: node.commitIndex.advanced(by: 1)))
            case 1:
                .promise(
                    Promise(
                        ballot: node.ballot,
                        accepted: slots.map { AcceptedSlot(ballot: senderBallot, entry: entry($0)) },
                        chosen: []))
            case 2: .accept(Accept(ballot: senderBallot, entries: slots.map(entry), commit: node.commitIndex))
            case 3:
                .accepted(
                    Accepted(ballot: node.ballot, slots: slots, committed: node.commitIndex, behind: random.chance(0.5))
                )
            case 4: .reject(Reject(ballot: node.ballot, promised: senderBallot))
            case 5:
                .heartbeat(Heartbeat(ballot: senderBallot, commit: node.commitIndex, round: UInt64(random.below(9))))
            case 6:
                .heartbeatAck(HeartbeatAck(ballot: ballot, committed: node.commitIndex, round: UInt64(random.below(9))))
            default: .learn(Learn(ballot: ballot, entries: slots.map(entry)))
            }
        for _ in 0..<random.below(3) { message = mutate(message, random: &random) }
        return message
    }

    static func edge(near value: UInt64, random: inout SeededGenerator) -> UInt64 {
        let edges: [UInt64] = [
            0, 1, value &- 1, value &+ 1, value &+ 1_000, 1 << 40, 1 << 62, UInt64(Int.max), UInt64(Int.max) + 1, .max,
            random.next(),
        ]
        return edges[random.below(edges.count)]
    }

    static func mutate(_ message: MultiPaxosMessage, random: inout SeededGenerator) -> MultiPaxosMessage {
        func ballot(_ b: Ballot) -> Ballot {
            if random.chance(0.7) { return Ballot(round: edge(near: b.round, random: &random), node: b.node) }
            return Ballot(
                round: b.round, node: [nil, NodeID(1), NodeID(9), NodeID(70_000), NodeID(.max)][random.below(5)])
        }
        func slot(_ s: LogIndex) -> LogIndex { LogIndex(edge(near: s.rawValue, random: &random)) }
        func entries(_ list: [LogEntry]) -> [LogEntry] {
            var list = list.isEmpty ? [LogEntry(term: 1, index: 1, kind: .command, data: [])] : list
            let at = random.below(list.count)
            if random.chance(0.7) {
                list[at].index = slot(list[at].index)
            } else {
                list[at].term = Term(edge(near: list[at].term.rawValue, random: &random))
            }
            return list
        }
        let field = random.below(3)
        switch message {
        case .prepare(var m):
            if field == 0 { m.ballot = ballot(m.ballot) } else { m.fromSlot = slot(m.fromSlot) }
            return .prepare(m)
        case .promise(var m):
            if field == 0 {
                m.accepted = entries(m.accepted.map(\.entry)).map { AcceptedSlot(ballot: ballot(m.ballot), entry: $0) }
            } else {
                m.chosen = entries(m.chosen)
            }
            return .promise(m)
        case .accept(var m):
            switch field {
            case 0: m.ballot = ballot(m.ballot)
            case 1: m.entries = entries(m.entries)
            default: m.commit = slot(m.commit)
            }
            return .accept(m)
        case .accepted(var m):
            switch field {
            case 0: m.slots = m.slots.map(slot) + [slot(.zero)]
            default: m.committed = slot(m.committed)
            }
            return .accepted(m)
        case .reject(var m):
            if field == 0 { m.promised = ballot(m.promised) } else { m.ballot = ballot(m.ballot) }
            return .reject(m)
        case .heartbeat(var m):
            switch field {
            case 0: m.ballot = ballot(m.ballot)
            case 1: m.commit = slot(m.commit)
            default: m.round = edge(near: m.round, random: &random)
            }
            return .heartbeat(m)
        case .heartbeatAck(var m):
            switch field {
            case 0: m.committed = slot(m.committed)
            default: m.round = edge(near: m.round, random: &random)
            }
            return .heartbeatAck(m)
        case .learn(var m):
            m.entries = entries(m.entries)
            return .learn(m)
        }
    }
}

extension SeededGenerator {
    /// A uniform value in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }
}
