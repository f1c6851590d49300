import SynodCore

/// One Multi-Paxos server as a pure state machine, driven like `RaftNode`: inputs carry
/// the current instant and fill a `MultiPaxosOutput` with writes to make durable,
/// messages to send, chosen entries to apply and the instant to be woken next.
///
/// Every server is proposer, acceptor and learner. A leader runs phase 1 once, for
/// every slot from its first unchosen one on, then phase 2 per slot, pipelined; a slot is
/// chosen once a phase-2 quorum accepted it, and the High-Water Mark (`commitIndex`)
/// moves over the chosen prefix. A new leader proposes again, in its own ballot, the
/// values it found accepted in gaps, and no-ops where nothing was accepted. Ballots
/// (`Ballot`) are the Generation Clock; quorum sizes may be flexible (`PaxosQuorums`).
///
/// ```swift
/// var node = MultiPaxosNode(id: 1, members: [1, 2, 3], quorums: PaxosQuorums(nodes: 3),
///                           now: .zero, random: SeededGenerator(seed: 7))
/// var out = MultiPaxosOutput()
/// node.tick(at: .zero + .milliseconds(300), into: &out)   // times out: phase 1
/// // perform out.writes, send out.messages, then: node.synced(through: id, at: now, into: &out)
/// ```
///
/// Persist before you promise: a Promise or an Accepted never appears in `messages`
/// before the write it depends on has been reported synced.
public struct MultiPaxosNode: Sendable {
    public let id: NodeID
    public let members: [NodeID]
    public let quorums: PaxosQuorums
    public let configuration: MultiPaxosConfiguration

    /// The highest ballot this acceptor promised (durable).
    public internal(set) var promised: Ballot
    /// The ballot this server proposes in while a candidate or leader.
    public internal(set) var ballot: Ballot = .zero
    public internal(set) var log: SlotLog
    /// The High-Water Mark: every slot up to here is chosen and known here.
    public internal(set) var commitIndex: LogIndex = .zero
    /// Slots up to here have been handed to the state machine in `committed`.
    public internal(set) var appliedIndex: LogIndex = .zero
    public var role: MultiPaxosRole { roleState.role }
    /// The leader this server last heard from, once known.
    public internal(set) var leaderID: NodeID?
    /// Set while this server's disk cannot write: it neither leads nor runs phase 1 (see
    /// `abstain(_:at:into:)`).
    public internal(set) var abstaining = false

    var random: SeededGenerator
    var now: Instant
    var electionDeadline: Instant = .zero
    /// When this server last heard from the leader it follows.
    var lastLeaderContact: Instant?
    /// The highest ballot seen in any message: a new ballot goes above it.
    var highestSeen: Ballot
    /// The role and the state only it keeps.
    var roleState: RoleState = .follower
    var persistence = PaxosPersistence()
    /// What this input changed on the durable state.
    var promiseChanged = false
    var newAccepts: [AcceptedSlot] = []
    var outbox: [Envelope<MultiPaxosMessage>] = []
    var pendingReplies: [Envelope<MultiPaxosMessage>] = []
    var readyReads: [ReadState] = []
    var failedReads: [UInt64] = []

    /// A fresh server that promised and accepted nothing.
    public init(
        id: NodeID, members: [NodeID], quorums: PaxosQuorums,
        configuration: MultiPaxosConfiguration = MultiPaxosConfiguration(), now: Instant, random: SeededGenerator
    ) {
        self.init(
            id: id, members: members, quorums: quorums, configuration: configuration,
            durable: MultiPaxosDurableState(), now: now, random: random)
    }

    /// A server restarted from what its disk kept: its promise and accepted values.
    /// What was chosen is not persisted; it is learned again from the leader.
    public init(
        id: NodeID, members: [NodeID], quorums: PaxosQuorums,
        configuration: MultiPaxosConfiguration = MultiPaxosConfiguration(), durable: MultiPaxosDurableState,
        now: Instant, random: SeededGenerator
    ) {
        precondition(members.contains(id), "a server must be a member of its own cluster")
        precondition(members.count == quorums.nodes, "quorum sizes are for another cluster size")
        precondition(members.count <= 64, "at most 64 servers")
        self.id = id
        self.members = members.sorted()
        self.quorums = quorums
        self.configuration = configuration
        self.promised = durable.promised
        self.highestSeen = durable.promised
        var log = SlotLog()
        for accepted in durable.accepted where accepted.ballot >= log[accepted.slot].ballot {
            log.accept(accepted.entry, in: accepted.ballot)
        }
        self.log = log
        self.random = random
        self.now = now
        // A restarted acceptor may have followed a leader just before it crashed: it
        // waits an election timeout before supporting another, as a fresh follower would.
        if durable.promised > .zero { lastLeaderContact = now }
        resetElectionDeadline()
    }

    /// The other members, in id order.
    public var peers: [NodeID] { members.filter { $0 != id } }

    public var durableState: MultiPaxosDurableState {
        MultiPaxosDurableState(promised: promised, accepted: log.accepted(from: LogIndex(1)))
    }

    /// Messages waiting for a sync before they may be sent.
    public var heldMessageCount: Int { persistence.held.count }

    /// The slot the leader will propose next (the end of what it recovered and proposed).
    public var nextSlot: LogIndex? { leading { $0.nextSlot } }

    // MARK: Inputs

    /// Time has passed: start phase 1, or send heartbeats and retransmit, when due.
    public mutating func tick(at now: Instant, into out: inout MultiPaxosOutput) {
        begin(at: now)
        switch role {
        case .follower, .candidate:
            if now >= electionDeadline { electionTimedOut() }
        case .leader:
            if !checkQuorumIfDue() { heartbeatIfDue() }
        }
        finish(into: &out)
    }

    /// A message arrived.
    public mutating func receive(
        _ envelope: Envelope<MultiPaxosMessage>, at now: Instant, into out: inout MultiPaxosOutput
    ) {
        precondition(envelope.to == id, "message delivered to the wrong server")
        begin(at: now)
        // A message no honest peer could send is dropped before its ballot is seen.
        guard isWellFormed(envelope) else { return finish(into: &out) }
        let from = envelope.from
        if envelope.message.ballot > highestSeen { highestSeen = envelope.message.ballot }
        switch envelope.message {
        case .prepare(let m): handlePrepare(m, from: from)
        case .promise(let m): handlePromise(m, from: from)
        case .accept(let m): handleAccept(m, from: from)
        case .accepted(let m): handleAccepted(m, from: from)
        case .reject(let m): handleReject(m, from: from)
        case .heartbeat(let m): handleHeartbeat(m, from: from)
        case .heartbeatAck(let m): handleHeartbeatAck(m, from: from)
        case .learn(let m): handleLearn(m)
        }
        finish(into: &out)
    }

    /// A client asks to append `data`. Only the leader accepts; the value goes into the
    /// next free slot, is accepted here and sent to every acceptor at once.
    @discardableResult
    public mutating func propose(
        _ data: [UInt8], at now: Instant, into out: inout MultiPaxosOutput
    ) -> ProposeResult {
        begin(at: now)
        defer { finish(into: &out) }
        guard let slot = leading({ $0.nextSlot }), !abstaining else {
            return .rejected(leaderHint: role == .follower ? leaderID : nil)
        }
        let entry = LogEntry(term: ballot.generation, index: slot, kind: .command, data: data)
        asLeader { $0.nextSlot = entry.index.advanced(by: 1) }
        proposeInPhase2([entry])
        return .accepted(index: entry.index, term: entry.term)
    }

    /// The driver made every write up to `id` durable.
    public mutating func synced(through id: PersistID, at now: Instant, into out: inout MultiPaxosOutput) {
        begin(at: now)
        out.messages.append(contentsOf: persistence.markSynced(through: id))
        let ownBit = bit(self.id)
        let counted = asCandidate { state in
            guard let write = state.ownPromise, write <= id else { return false }
            state.ownPromise = nil
            state.promises |= ownBit
            return true
        }
        if counted == true, promiseCount >= quorums.phase1 { becomeLeader() }
        if role == .leader {
            while let first = leading({ $0.ownAccepts.first }) ?? nil, first.write <= id {
                asLeader { _ = $0.ownAccepts.removeFirst() }
                for slot in first.slots { acknowledge(slot, by: self.id) }
            }
            advanceCommitIndex()
        }
        finish(into: &out)
    }

    // MARK: Step bookkeeping

    mutating func begin(at now: Instant) {
        precondition(now >= self.now, "time went backwards")
        self.now = now
    }

    /// Issues the write collected during this input, releases or holds replies, hands
    /// out newly chosen entries and names the next wake-up.
    mutating func finish(into out: inout MultiPaxosOutput) {
        if promiseChanged || !newAccepts.isEmpty {
            let write = persistence.issue(promised: promiseChanged ? promised : nil, accepts: newAccepts)
            out.writes.append(write)
            if !newAccepts.isEmpty {
                let slots = newAccepts.map(\.slot)
                asLeader { $0.ownAccepts.append((write.id, slots)) }
            }
            if promiseChanged {
                let ownBit = bit(id)
                asCandidate { state in
                    if state.ownPromise == nil, state.promises & ownBit == 0 { state.ownPromise = write.id }
                }
            }
            promiseChanged = false
            newAccepts.removeAll(keepingCapacity: true)
        }
        if !outbox.isEmpty {
            out.messages.append(contentsOf: outbox)
            outbox.removeAll(keepingCapacity: true)
        }
        for reply in pendingReplies {
            if let envelope = persistence.holdIfUnsynced(reply) { out.messages.append(envelope) }
        }
        pendingReplies.removeAll(keepingCapacity: true)
        if !readyReads.isEmpty {
            out.reads.append(contentsOf: readyReads)
            readyReads.removeAll(keepingCapacity: true)
        }
        if !failedReads.isEmpty {
            out.failedReads.append(contentsOf: failedReads)
            failedReads.removeAll(keepingCapacity: true)
        }
        while appliedIndex < commitIndex {
            appliedIndex = appliedIndex.advanced(by: 1)
            out.committed.append(log[appliedIndex].chosen!)
        }
        out.wakeAt = leading { $0.nextWake(configuration) } ?? electionDeadline
    }

    /// Sends a message that promises nothing, at once.
    mutating func send(_ message: MultiPaxosMessage, to peer: NodeID) {
        outbox.append(Envelope(from: id, to: peer, message: message))
    }

    /// Queues a reply that depends on this server's durable state; it leaves only once
    /// every write issued so far is durable.
    mutating func reply(_ message: MultiPaxosMessage, to peer: NodeID) {
        pendingReplies.append(Envelope(from: id, to: peer, message: message))
    }

    mutating func resetElectionDeadline() {
        electionDeadline = now + random.span(configuration.electionTimeoutMin, configuration.electionTimeoutMax)
    }

    func bit(_ node: NodeID) -> UInt64 { 1 << UInt64(node.rawValue - 1) }

    /// Records an acceptance as this acceptor, to be written to disk with this input.
    mutating func acceptLocally(_ entry: LogEntry, in ballot: Ballot) {
        log.accept(entry, in: ballot)
        newAccepts.append(AcceptedSlot(ballot: ballot, entry: entry))
    }

    /// Raises the promise, to be written to disk with this input.
    mutating func promise(_ ballot: Ballot) {
        guard ballot > promised else { return }
        promised = ballot
        promiseChanged = true
    }

    /// Marks `entry` chosen and moves the High-Water Mark over the chosen prefix.
    mutating func learnChosen(_ entry: LogEntry) {
        if log[entry.index].chosen == nil { log.choose(entry) }
    }

    mutating func advanceCommitIndex() {
        var next = commitIndex.advanced(by: 1)
        while next <= log.lastSlot, log[next].chosen != nil {
            commitIndex = next
            next = next.advanced(by: 1)
        }
        if role == .leader { releaseReads() }
    }

    /// Leaves candidacy or leadership; pending reads fail.
    mutating func becomeFollower(leader newLeader: NodeID?) {
        for read in leading({ $0.reads }) ?? [] { failedReads.append(read.id) }
        roleState = .follower
        leaderID = newLeader
        resetElectionDeadline()
    }
}
