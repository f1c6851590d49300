import SynodCore

/// The leader's view of one follower's log (etcd calls it Progress).
struct FollowerProgress: Sendable {
    var nextIndex: LogIndex
    var matchIndex: LogIndex = .zero
    /// Probing: one AppendEntries at a time until the logs are known to match.
    /// Replicating: entries are sent optimistically, without waiting (Request Pipeline).
    var isProbing = true
    var lastSent: Instant
    /// The snapshot being sent instead of compacted entries, if any.
    var transfer: SnapshotTransfer?
    /// The heartbeat round of the answer that last raised `matchIndex`.
    var matchRound: UInt64 = 0
    /// Flow control: the last index and size of each unanswered AppendEntries that
    /// carried entries, oldest first, and their total size.
    var inflight: [Inflight] = []
    var inflightBytes = 0

    struct Inflight: Sendable {
        var last: LogIndex
        var bytes: Int
        /// The heartbeat round it was sent in.
        var round: UInt64
    }

    /// Forgets what was in flight up to `index` (acknowledged), or everything.
    mutating func acknowledge(through index: LogIndex?) {
        guard let index else {
            inflight.removeAll()
            inflightBytes = 0
            return
        }
        var count = 0
        while count < inflight.count, inflight[count].last <= index {
            inflightBytes -= inflight[count].bytes
            count += 1
        }
        if count > 0 { inflight.removeFirst(count) }
    }
}

/// What only a leader keeps.
struct LeaderState: Sendable {
    var peers: [NodeID]
    var progress: [FollowerProgress]
    var heartbeatDue: Instant
    /// CheckQuorum: which followers answered since the last check, and when the next is.
    var recentlyActive: [Bool]
    var quorumCheckDue: Instant
    /// A leadership transfer under way.
    var transfer: Transfer?
    /// Heartbeat rounds (ReadIndex and leases): the current round, the latest round
    /// each follower answered, when recent rounds began, and the reads waiting.
    var round: UInt64 = 0
    var ackedRound: [UInt64]
    var roundClock = RoundClock()
    var pendingReads: [PendingRead] = []
    /// Set once a TimeoutNow has left: its target may win an election at any moment,
    /// even after this leader gave up on the transfer, so no more lease reads.
    var leaseForfeited = false

    struct Transfer: Sendable {
        var target: NodeID
        var deadline: Instant
        var timeoutNowSent = false
    }

    init(peers: [NodeID], nextIndex: LogIndex, now: Instant) {
        self.peers = peers
        self.progress = peers.map { _ in FollowerProgress(nextIndex: nextIndex, lastSent: now) }
        self.heartbeatDue = now
        self.recentlyActive = peers.map { _ in false }
        self.ackedRound = peers.map { _ in 0 }
        self.quorumCheckDue = now
    }

    func nextWake(checkQuorum: Bool) -> Instant {
        var wake = heartbeatDue
        if checkQuorum { wake = min(wake, quorumCheckDue) }
        if let transfer { wake = min(wake, transfer.deadline) }
        return wake
    }

    func slot(of peer: NodeID) -> Int? { peers.firstIndex(of: peer) }
}

extension RaftNode {
    mutating func appendAsLeader(_ entry: LogEntry) {
        log.append(entry)
        persistence.logChanged(from: entry.index)
        for slot in 0..<(leading({ $0.peers.count }) ?? 0) where leading({ !$0.progress[slot].isProbing }) == true {
            sendAppend(slot: slot)
        }
        // A lone server needs no one else: it commits once its own write is synced.
    }

    /// Sends the follower at `slot` the entries from its next index (possibly none: a heartbeat).
    mutating func sendAppend(slot: Int) {
        guard let (progress, round, peer) = leading({ ($0.progress[slot], $0.round, $0.peers[slot]) }) else { return }
        if progress.nextIndex <= log.baseIndex { return sendSnapshotChunk(slot: slot) }
        var sent: FollowerProgress.Inflight?
        var prev = progress.nextIndex.advanced(by: -1)
        var entries = Array(
            Self.prefix(
                log.entries(from: progress.nextIndex, limit: configuration.maxEntriesPerAppend),
                within: configuration.maxAppendBytes))
        if !progress.isProbing, !entries.isEmpty {
            if isThrottled(progress) {
                // Flow control: the follower has enough to chew on. A bare heartbeat at
                // what it is known to hold keeps it following without a rejection; the
                // next acknowledgement sends more.
                entries = []
                if log.term(at: progress.matchIndex) != nil { prev = progress.matchIndex }
            } else {
                let bytes = entries.reduce(0) { $0 + $1.data.count + Self.entryFraming }
                sent = FollowerProgress.Inflight(last: entries.last!.index, bytes: bytes, round: round)
            }
        }
        let request = AppendEntries(
            term: term, prevLogIndex: prev, prevLogTerm: log.term(at: prev) ?? .zero, entries: entries,
            leaderCommit: commitIndex, round: round)
        let next = progress.isProbing ? nil : entries.last.map { $0.index.advanced(by: 1) }
        let now = self.now
        asLeader { state in
            if let sent {
                state.progress[slot].inflight.append(sent)
                state.progress[slot].inflightBytes += sent.bytes
            }
            if let next { state.progress[slot].nextIndex = next }
            state.progress[slot].lastSent = now
        }
        send(.appendEntries(request), to: peer)
    }

    /// What an entry costs in an AppendEntries beyond its data, at most: term, index,
    /// kind and data length.
    public static let entryFraming = 32

    /// The longest prefix of `entries` whose data and framing fit in `maxBytes`, and at
    /// least the first entry, so that one larger than the cap still goes alone.
    static func prefix(_ entries: ArraySlice<LogEntry>, within maxBytes: Int) -> ArraySlice<LogEntry> {
        var bytes = 0
        var end = entries.startIndex
        while end < entries.endIndex {
            bytes += entries[end].data.count + entryFraming
            if bytes > maxBytes, end > entries.startIndex { break }
            end += 1
        }
        return entries[..<end]
    }

    /// HeartBeat: every follower hears from the leader at least once per interval, so
    /// its election timer never fires while the leader lives.
    mutating func heartbeatIfDue() {
        guard let due = leading({ $0.heartbeatDue }), now >= due else { return }
        beginRound()
        let interval = configuration.heartbeatInterval
        var nextDue = now + interval
        for slot in 0..<(leading({ $0.peers.count }) ?? 0) {
            guard let (lastSent, probing) = leading({ ($0.progress[slot].lastSent, $0.progress[slot].isProbing) })
            else {
                return
            }
            if lastSent + interval <= now || probing { sendAppend(slot: slot) }
            if let lastSent = leading({ $0.progress[slot].lastSent }) { nextDue = min(nextDue, lastSent + interval) }
        }
        let floor = now + TimeSpan(nanoseconds: interval.nanoseconds / 4)
        asLeader { $0.heartbeatDue = max(nextDue, floor) }
    }

    mutating func handleAppendEntries(_ request: AppendEntries, from leader: NodeID) {
        // Same term: whoever sends AppendEntries is this term's leader.
        if role != .follower || leaderID != leader {
            // A leader hearing another leader of its own term means election safety is
            // already broken (only a deliberate bug gets here); yield and let the checker report it.
            becomeFollower(term: term, leader: leader)
        } else {
            resetElectionDeadline()
        }
        lastLeaderContact = now
        guard let localPrevTerm = log.term(at: request.prevLogIndex) else {
            if request.prevLogIndex < log.baseIndex {
                // Already compacted here, so it matches: acknowledge what we know.
                answer(.accepted(term: term, matchIndex: log.baseIndex), to: request, from: leader)
                return
            }
            let hint = AppendEntriesResponse.rejected(
                term: term, rejectedIndex: request.prevLogIndex, conflictIndex: log.lastIndex.advanced(by: 1),
                conflictTerm: nil)
            answer(hint, to: request, from: leader)
            return
        }
        if localPrevTerm != request.prevLogTerm {
            let hint = AppendEntriesResponse.rejected(
                term: term, rejectedIndex: request.prevLogIndex,
                conflictIndex: log.firstIndex(ofTermAt: request.prevLogIndex), conflictTerm: localPrevTerm)
            answer(hint, to: request, from: leader)
            return
        }
        // An entry that contradicts a committed one cannot come from an honest leader
        // (Leader Completeness); taking it would leave the commit index past the log.
        for entry in request.entries where entry.index <= commitIndex {
            if let existing = log.term(at: entry.index), existing != entry.term { return }
        }
        for entry in request.entries {
            if let existing = log.term(at: entry.index) {
                if existing == entry.term { continue }
                log.truncate(from: entry.index)
            }
            log.append(entry)
            persistence.logChanged(from: entry.index)
        }
        let lastNew = request.prevLogIndex.advanced(by: request.entries.count)
        if request.leaderCommit > commitIndex {
            commitIndex = max(commitIndex, min(request.leaderCommit, lastNew))
        }
        answer(.accepted(term: term, matchIndex: lastNew), to: request, from: leader)
    }

    /// Replies to an AppendEntries, echoing its round.
    mutating func answer(_ response: AppendEntriesResponse, to request: AppendEntries, from leader: NodeID) {
        var response = response
        response.round = request.round
        reply(.appendEntriesResponse(response), to: leader)
    }

    mutating func handleAppendResponse(_ response: AppendEntriesResponse, from follower: NodeID) {
        guard let slot = leading({ $0.slot(of: follower) }) ?? nil, isRoundSent(response.round) else { return }
        // A follower cannot hold more than this leader sent it: an answer that says so is
        // forged or corrupt, and counting it could commit an entry no majority holds.
        guard !response.success || response.matchIndex <= log.lastIndex else { return }
        heard(from: slot, round: response.round)
        defer { sendTimeoutNowIfReady(slot: slot) }
        guard var progress = leading({ $0.progress[slot] }) else { return }
        if response.success {
            if isThrottled(progress), response.matchIndex <= progress.matchIndex,
                let oldest = progress.inflight.first, response.round > oldest.round
            {
                // Throttled, and the follower answered a message sent in a later round
                // than the oldest append in flight without catching up: that append is
                // lost. Probe again from the match, or replication to it would stall for
                // good. An answer to an earlier bare heartbeat says nothing of it.
                progress.isProbing = true
                progress.acknowledge(through: nil)
                progress.nextIndex = progress.matchIndex.advanced(by: 1)
                asLeader { $0.progress[slot] = progress }
                sendAppend(slot: slot)
                return
            }
            if response.matchIndex > progress.matchIndex {
                progress.matchIndex = response.matchIndex
                progress.matchRound = response.round
            }
            if progress.nextIndex <= progress.matchIndex { progress.nextIndex = progress.matchIndex.advanced(by: 1) }
            let wasProbing = progress.isProbing
            let wasThrottled = isThrottled(progress)
            progress.isProbing = false
            progress.acknowledge(through: progress.matchIndex)
            asLeader { $0.progress[slot] = progress }
            advanceCommitIndex()
            // Send more only when this answer freed room: a throttled follower's answer to a
            // bare heartbeat frees none, and resending at once would ping-pong forever.
            let freed = wasThrottled && !isThrottled(progress)
            if wasProbing || freed, progress.nextIndex <= log.lastIndex { sendAppend(slot: slot) }
            return
        }
        // A rejection at or below what the follower already acknowledged is stale, unless
        // it answers a later round and says the follower's log is now shorter than what
        // it acknowledged: its disk lost entries (it restarted after damage), and waiting
        // for the old match would stall it for good.
        if response.rejectedIndex <= progress.matchIndex && progress.matchIndex > .zero {
            guard response.round > progress.matchRound, response.conflictTerm == nil,
                response.conflictIndex > .zero, response.conflictIndex <= progress.matchIndex
            else { return }
            progress.matchIndex = response.conflictIndex.advanced(by: -1)
        }
        var next = response.conflictIndex
        if let conflictTerm = response.conflictTerm, let last = log.lastIndex(of: conflictTerm) {
            next = last.advanced(by: 1)
        }
        next = min(max(next, progress.matchIndex.advanced(by: 1)), log.lastIndex.advanced(by: 1))
        progress.nextIndex = next
        progress.isProbing = true
        progress.acknowledge(through: nil)
        asLeader { $0.progress[slot] = progress }
        sendAppend(slot: slot)
    }

    /// A follower answered (either kind of replication message): it counts as active
    /// for CheckQuorum, and its answer to `round` may confirm waiting reads.
    mutating func heard(from slot: Int, round: UInt64) {
        let newer = asLeader { state in
            state.recentlyActive[slot] = true
            guard round > state.ackedRound[slot] else { return false }
            state.ackedRound[slot] = round
            return true
        }
        if newer == true { confirmReads() }
    }

    /// Whether flow control holds back entries for this follower.
    func isThrottled(_ progress: FollowerProgress) -> Bool {
        progress.inflight.count >= configuration.maxInflightAppends
            || progress.inflightBytes >= configuration.maxInflightBytes
    }

    /// Raises the High-Water Mark to the highest index a majority has made durable,
    /// the leader counting itself only for what its own disk has synced. Only an entry
    /// of the current term commits by counting (§5.4.2, Figure 8).
    mutating func advanceCommitIndex() {
        guard case .leader(let state) = roleState else { return }
        let durable = persistence.durableIndex
        let majority = quorum.committed { member -> LogIndex in
            if member == id { return durable }
            return state.progress[state.slot(of: member)!].matchIndex
        }
        guard majority > commitIndex else { return }
        if log.term(at: majority) == term || configuration.bugs.contains(.commitPreviousTerm) {
            commitIndex = majority
            confirmReads()
        }
    }
}

extension RaftNode {
    /// CheckQuorum (§6.2): a leader that has not heard from a majority within the
    /// minimum election timeout steps down, and with it stops the heartbeats that would
    /// keep followers from electing a leader a majority can reach. Returns true when it
    /// stepped down.
    mutating func checkQuorumIfDue() -> Bool {
        guard configuration.checkQuorum, case .leader(let state) = roleState, now >= state.quorumCheckDue else {
            return false
        }
        var heard = [id]
        for slot in state.peers.indices where state.recentlyActive[slot] { heard.append(state.peers[slot]) }
        if !quorum.isReached(byVotersIn: heard) {
            becomeFollower(term: term, leader: nil)
            lastLeaderContact = nil
            return true
        }
        let due = now + configuration.electionTimeoutMin
        asLeader { state in
            for slot in state.recentlyActive.indices { state.recentlyActive[slot] = false }
            state.quorumCheckDue = due
        }
        return false
    }

    /// The current leadership transfer's target, if one is under way.
    public var transferTarget: NodeID? { leading({ $0.transfer?.target }) ?? nil }

    /// Leadership transfer (§3.10): bring `target` up to date, then tell it to campaign.
    /// Proposals are refused meanwhile; the transfer gives up after an election timeout.
    /// Returns false when this server does not lead or `target` is not another member.
    @discardableResult
    public mutating func transferLeadership(to target: NodeID, at now: Instant, into out: inout RaftOutput) -> Bool {
        begin(at: now)
        defer { finish(into: &out) }
        guard let slot = leading({ $0.slot(of: target) }) ?? nil else { return false }
        let transfer = LeaderState.Transfer(target: target, deadline: now + configuration.electionTimeoutMax)
        let caughtUp =
            asLeader { state in
                state.transfer = transfer
                return state.progress[slot].matchIndex
            } == log.lastIndex
        if caughtUp {
            sendTimeoutNowIfReady(slot: slot)
        } else {
            sendAppend(slot: slot)
        }
        return true
    }

    mutating func sendTimeoutNowIfReady(slot: Int) {
        guard case .leader(let state) = roleState, let transfer = state.transfer, !transfer.timeoutNowSent,
            state.peers[slot] == transfer.target, state.progress[slot].matchIndex == log.lastIndex
        else { return }
        asLeader { state in
            state.transfer?.timeoutNowSent = true
            state.leaseForfeited = true
        }
        send(.timeoutNow(TimeoutNow(term: term)), to: transfer.target)
    }

    mutating func abortTransferIfDue() {
        if let transfer = leading({ $0.transfer }) ?? nil, now >= transfer.deadline { asLeader { $0.transfer = nil } }
    }
}
