import SynodCore

/// One Raft server as a pure state machine: no threads, sockets, files, clocks or
/// system randomness. Inputs carry the current instant; each input fills a
/// `RaftOutput` with writes to make durable, messages to send, entries to apply, and
/// the instant to be woken next. The simulator and the server drive the same code.
///
/// ```swift
/// var node = RaftNode(id: 1, members: [1, 2, 3], now: .zero, random: SeededGenerator(seed: 7))
/// var out = RaftOutput()
/// node.tick(at: .zero + .milliseconds(300), into: &out)   // times out, campaigns
/// // perform out.writes, send out.messages, then: node.synced(through: id, at: now, into: &out)
/// ```
///
/// Persist before you promise: a vote or an append acknowledgement never appears in
/// `messages` before the write it depends on has been reported synced.
public struct RaftNode: Sendable {
    public let id: NodeID
    public let quorum: MajorityQuorum
    public let configuration: RaftConfiguration

    /// The Generation Clock.
    public internal(set) var term: Term
    public internal(set) var votedFor: NodeID?
    public internal(set) var log: RaftLog
    /// The newest snapshot: it stands in for the log up to `log.baseIndex`, and is what
    /// a follower below that point is sent.
    public internal(set) var snapshot: Snapshot?
    /// Set while this server may have lost acknowledged entries to disk damage: it
    /// neither votes nor campaigns until a leader has brought it past them.
    public internal(set) var catchUp: CatchUp?
    /// The High-Water Mark: every entry up to here is committed.
    public internal(set) var commitIndex: LogIndex = .zero
    /// Entries up to here have been handed to the state machine in `committed`.
    public internal(set) var appliedIndex: LogIndex = .zero
    public var role: RaftRole { roleState.role }
    /// The leader of the current term, once known.
    public internal(set) var leaderID: NodeID?
    /// Set while this server's disk cannot write: it hands leadership over and does not
    /// campaign (see `abstain(_:at:into:)`).
    public internal(set) var abstaining = false

    var random: SeededGenerator
    var now: Instant
    var electionDeadline: Instant = .zero
    /// When this server last heard from a leader of its current term.
    var lastLeaderContact: Instant?
    /// The role and the state only it keeps.
    var roleState: RoleState = .follower
    var persistence: PersistenceTracker
    /// Replies built while handling the current input; released at its end, held back
    /// until the writes they depend on are synced.
    var pendingReplies: [Envelope<RaftMessage>] = []
    /// Messages that promise nothing (AppendEntries, RequestVote): sent at once.
    var outbox: [Envelope<RaftMessage>] = []
    var readyReads: [ReadState] = []
    /// Chunks of a leader's snapshot received so far.
    var incomingSnapshot: IncomingSnapshot?
    var restored: Snapshot?
    var failedReads: [UInt64] = []

    /// A fresh server with an empty log.
    public init(
        id: NodeID, members: [NodeID], configuration: RaftConfiguration = RaftConfiguration(),
        now: Instant, random: SeededGenerator
    ) {
        self.init(
            id: id, members: members, configuration: configuration, hardState: HardState(), log: RaftLog(),
            now: now, random: random)
    }

    /// A server restarted from what its disk kept: hard state, the newest snapshot
    /// (`log` must start right after it) and the log. The commit index is not persisted:
    /// it is learned again from the leader (or, for a lone server, from its own log).
    /// `catchUp` is given when recovery cut away damage that may have held acknowledged
    /// entries.
    public init(
        id: NodeID, members: [NodeID], configuration: RaftConfiguration = RaftConfiguration(),
        hardState: HardState, snapshot: Snapshot? = nil, log: RaftLog, catchUp: CatchUp? = nil, now: Instant,
        random: SeededGenerator
    ) {
        precondition(
            log.baseIndex == (snapshot?.lastIndex ?? .zero), "the log must continue right after the snapshot")
        precondition(members.contains(id), "a server must be a member of its own cluster")
        self.id = id
        self.quorum = MajorityQuorum(members)
        self.configuration = configuration
        self.term = hardState.term
        self.votedFor = hardState.votedFor
        self.log = log
        self.snapshot = snapshot
        if !configuration.bugs.contains(.voteAfterDataLoss) { self.catchUp = catchUp }
        self.commitIndex = log.baseIndex
        self.appliedIndex = log.baseIndex
        self.random = random
        self.now = now
        self.persistence = PersistenceTracker(durableIndex: log.lastIndex)
        // A restarted server may have heard a leader just before it crashed: it waits an
        // election timeout before supporting another, which keeps leader leases sound.
        if hardState.term > .zero { lastLeaderContact = now }
        resetElectionDeadline()
    }

    /// The other members, in id order.
    public var peers: [NodeID] { quorum.members.filter { $0 != id } }

    public var hardState: HardState { HardState(term: term, votedFor: votedFor) }

    /// The last log index known to be on this server's disk.
    public var durableIndex: LogIndex { persistence.durableIndex }

    /// Messages waiting for a sync before they may be sent.
    public var heldMessageCount: Int { persistence.held.count }

    // MARK: Inputs

    /// Time has passed: start an election or send heartbeats when due.
    public mutating func tick(at now: Instant, into out: inout RaftOutput) {
        begin(at: now)
        switch role {
        case .follower, .preCandidate, .candidate:
            if now >= electionDeadline { electionTimedOut() }
        case .leader:
            if checkQuorumIfDue() { break }
            abortTransferIfDue()
            // An abstaining leader whose transfer gave up (or found no one) steps down.
            if abstaining, transferTarget == nil { stepAside() }
            heartbeatIfDue()
        }
        finish(into: &out)
    }

    /// A message arrived. The term is checked once here (as etcd's `Step` does), then
    /// the handler for the message kind runs.
    public mutating func receive(_ envelope: Envelope<RaftMessage>, at now: Instant, into out: inout RaftOutput) {
        precondition(envelope.to == id, "message delivered to the wrong server")
        begin(at: now)
        // A message no honest peer could send is dropped whole, term and all.
        guard isWellFormed(envelope) else { return finish(into: &out) }
        if handledBeforeTermCheck(envelope) {
            finish(into: &out)
            return
        }
        let messageTerm = envelope.message.term
        if messageTerm > term {
            let leader: NodeID? =
                switch envelope.message {
                case .appendEntries, .installSnapshot: envelope.from
                default: nil
                }
            becomeFollower(term: messageTerm, leader: leader)
        }
        if messageTerm < term {
            rejectStale(envelope)
        } else {
            switch envelope.message {
            case .requestVote(let request): handleRequestVote(request, from: envelope.from)
            case .requestVoteResponse(let response): handleVoteResponse(response, from: envelope.from)
            case .appendEntries(let request): handleAppendEntries(request, from: envelope.from)
            case .appendEntriesResponse(let response): handleAppendResponse(response, from: envelope.from)
            case .timeoutNow: handleTimeoutNow(from: envelope.from)
            case .readIndexRequest(let request): handleReadIndexRequest(request, from: envelope.from)
            case .readIndexResponse(let response): handleReadIndexResponse(response)
            case .installSnapshot(let request): handleInstallSnapshot(request, from: envelope.from)
            case .installSnapshotResponse(let response): handleInstallSnapshotResponse(response, from: envelope.from)
            }
        }
        finish(into: &out)
    }

    /// A client asks to append `data`. Only the leader accepts.
    @discardableResult
    public mutating func propose(_ data: [UInt8], at now: Instant, into out: inout RaftOutput) -> ProposeResult {
        begin(at: now)
        defer { finish(into: &out) }
        guard role == .leader else { return .rejected(leaderHint: leaderID) }
        if let target = transferTarget { return .rejected(leaderHint: target) }
        if abstaining { return .rejected(leaderHint: nil) }
        let entry = LogEntry(term: term, index: log.lastIndex.advanced(by: 1), kind: .command, data: data)
        appendAsLeader(entry)
        return .accepted(index: entry.index, term: term)
    }

    /// The driver made every write up to `id` durable.
    public mutating func synced(through id: PersistID, at now: Instant, into out: inout RaftOutput) {
        begin(at: now)
        for envelope in persistence.markSynced(through: id, currentTerm: term) { out.messages.append(envelope) }
        if case .candidate(var state) = roleState, let pending = state.selfVoteWrite, pending <= id {
            state.selfVoteWrite = nil
            roleState = .candidate(state)
            if countVote(from: self.id, preVote: false) { becomeLeader() }
        }
        if role == .leader { advanceCommitIndex() }
        finish(into: &out)
    }

    // MARK: Step bookkeeping

    mutating func begin(at now: Instant) {
        precondition(now >= self.now, "time went backwards")
        self.now = now
    }

    /// Issues the write collected during this input, releases or holds replies, hands
    /// out newly committed entries and names the next wake-up.
    mutating func finish(into out: inout RaftOutput) {
        if catchUp != nil { releaseCatchUpIfDone() }
        if let write = persistence.issue(hardState: hardState, log: log) { out.writes.append(write) }
        if let snapshot = restored {
            out.restored = snapshot
            restored = nil
        }
        if !readyReads.isEmpty {
            out.reads.append(contentsOf: readyReads)
            readyReads.removeAll(keepingCapacity: true)
        }
        if !failedReads.isEmpty {
            out.failedReads.append(contentsOf: failedReads)
            failedReads.removeAll(keepingCapacity: true)
        }
        if !outbox.isEmpty {
            out.messages.append(contentsOf: outbox)
            outbox.removeAll(keepingCapacity: true)
        }
        if !pendingReplies.isEmpty {
            for reply in pendingReplies {
                if configuration.bugs.contains(.noSyncBeforeVote), case .requestVoteResponse = reply.message {
                    out.messages.append(reply)
                } else if let envelope = persistence.holdIfUnsynced(reply) {
                    out.messages.append(envelope)
                }
            }
            pendingReplies.removeAll(keepingCapacity: true)
        }
        if appliedIndex < commitIndex {
            let fresh = log.entries(from: appliedIndex.advanced(by: 1), limit: appliedIndex.distance(to: commitIndex))
            out.committed.append(contentsOf: fresh)
            appliedIndex = commitIndex
        }
        if case .leader(let state) = roleState {
            out.wakeAt = state.nextWake(checkQuorum: configuration.checkQuorum)
        } else {
            out.wakeAt = electionDeadline
        }
    }

    /// Sends a message that promises nothing, at once.
    mutating func send(_ message: RaftMessage, to peer: NodeID) {
        outbox.append(Envelope(from: id, to: peer, message: message))
    }

    /// Queues a reply that depends on this server's state; it leaves only once every
    /// write issued so far is durable.
    mutating func reply(_ message: RaftMessage, to peer: NodeID) {
        pendingReplies.append(Envelope(from: id, to: peer, message: message))
    }

    mutating func resetElectionDeadline() {
        electionDeadline =
            now + random.span(configuration.electionTimeoutMin, configuration.electionTimeoutMax)
    }

    mutating func becomeFollower(term newTerm: Term, leader: NodeID?) {
        if newTerm > term {
            term = newTerm
            votedFor = nil
            persistence.hardStateChanged = true
        }
        failPendingReads()
        roleState = .follower
        leaderID = leader
        if leader != nil { lastLeaderContact = now }
        resetElectionDeadline()
    }

    /// A message from an older term: tell its sender the current term so a stale
    /// leader or candidate steps down; ignore stale responses.
    mutating func rejectStale(_ envelope: Envelope<RaftMessage>) {
        switch envelope.message {
        case .requestVote:
            reply(.requestVoteResponse(RequestVoteResponse(term: term, granted: false)), to: envelope.from)
        case .appendEntries(let request):
            reply(
                .appendEntriesResponse(
                    .rejected(term: term, rejectedIndex: request.prevLogIndex, conflictIndex: .zero, conflictTerm: nil)),
                to: envelope.from)
        case .readIndexRequest(let request):
            send(.readIndexResponse(ReadIndexResponse(term: term, id: request.id, index: nil)), to: envelope.from)
        case .readIndexResponse(let response):
            failedReads.append(response.id)
        case .installSnapshot(let request):
            reply(
                .installSnapshotResponse(
                    InstallSnapshotResponse(term: term, lastIndex: request.lastIndex, received: 0, done: false)),
                to: envelope.from)
        case .requestVoteResponse, .appendEntriesResponse, .timeoutNow, .installSnapshotResponse:
            break
        }
    }
}
