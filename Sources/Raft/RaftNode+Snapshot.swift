import SynodCore

/// When a server may have lost acknowledged entries to disk damage (recovery could not
/// tell a torn write from a rotted synced record), it rejoins as a non-voter: it neither
/// votes nor campaigns until its log provably holds everything it may have acknowledged.
/// That is the case once it has committed, from a leader, an index past `possibleEnd`
/// or an entry of a term later than `term` (a later leader's entry sits above every entry
/// committed before it).
public struct CatchUp: Sendable, Equatable, CustomStringConvertible {
    /// An upper bound on the last index the damaged log may have held.
    public var possibleEnd: LogIndex
    /// The server's term when it restarted.
    public var term: Term

    public init(possibleEnd: LogIndex, term: Term) {
        self.possibleEnd = possibleEnd
        self.term = term
    }

    public var description: String { "catching up past \(possibleEnd) or term \(term)" }

    /// Whether a log ending at (`lastIndex`, `lastTerm`) is at least as up to date as any
    /// log the server may have had before the damage: its terms were at most `term` and
    /// it ended at most at `possibleEnd`. A vote for such a log is one the undamaged
    /// server would have given too, so it keeps every entry the server acknowledged.
    public func covers(lastIndex: LogIndex, lastTerm: Term) -> Bool {
        lastTerm > term || (lastTerm == term && lastIndex >= possibleEnd)
    }
}

/// A snapshot arriving in chunks from the leader.
struct IncomingSnapshot: Sendable {
    var lastIndex: LogIndex
    var lastTerm: Term
    var data: [UInt8]
}

extension RaftNode {
    // MARK: Log compaction

    /// Log compaction: the state machine captured its state after applying `index` as
    /// `data`; the log drops every entry up to it and the disk moves its Low-Water Mark
    /// (a write carrying the snapshot). Followers that need the dropped entries get the
    /// snapshot instead.
    public mutating func compact(through index: LogIndex, data: [UInt8], at now: Instant, into out: inout RaftOutput) {
        begin(at: now)
        defer { finish(into: &out) }
        precondition(index <= appliedIndex, "only applied entries can be compacted")
        guard index > log.baseIndex else { return }
        let taken = Snapshot(lastIndex: index, lastTerm: log.term(at: index)!, data: data)
        log.compact(through: index)
        snapshot = taken
        persistence.snapshot = taken
    }

    // MARK: Leader: sending a snapshot

    /// Sends the follower at `slot` the next chunk of the current snapshot, from what it
    /// has acknowledged. Called instead of an AppendEntries when its next entry is gone.
    mutating func sendSnapshotChunk(slot: Int) {
        guard let current = snapshot, case .leader(let state) = roleState else { return }
        var progress = state.progress[slot]
        let round = state.round
        let peer = state.peers[slot]
        if progress.snapshotIndex != current.lastIndex {
            progress.snapshotIndex = current.lastIndex
            progress.snapshotAcked = 0
        }
        let start = min(progress.snapshotAcked, current.data.count)
        let end = min(start + configuration.snapshotChunkSize, current.data.count)
        progress.isProbing = true
        progress.lastSent = now
        asLeader { $0.progress[slot] = progress }
        let request = InstallSnapshot(
            term: term, lastIndex: current.lastIndex, lastTerm: current.lastTerm, offset: start,
            data: current.data[start..<end], done: end == current.data.count, round: round)
        send(.installSnapshot(request), to: peer)
    }

    mutating func handleInstallSnapshotResponse(_ response: InstallSnapshotResponse, from follower: NodeID) {
        guard let slot = leading({ $0.slot(of: follower) }) ?? nil, isRoundSent(response.round) else { return }
        // An installed snapshot past this leader's log was never sent: counting it as the
        // follower's match could commit an entry no majority holds.
        if response.done, response.lastIndex > log.lastIndex { return }
        heard(from: slot, round: response.round)
        guard var progress = leading({ $0.progress[slot] }) else { return }
        if response.done {
            if response.lastIndex > progress.matchIndex {
                progress.matchIndex = response.lastIndex
                progress.matchRound = response.round
            }
            progress.nextIndex = max(progress.nextIndex, progress.matchIndex.advanced(by: 1))
            progress.snapshotIndex = nil
            progress.isProbing = false
            asLeader { $0.progress[slot] = progress }
            advanceCommitIndex()
            sendTimeoutNowIfReady(slot: slot)
            if progress.nextIndex <= log.lastIndex { sendAppend(slot: slot) }
            return
        }
        // A duplicate answer (chunks are re-sent every heartbeat) changes nothing; a
        // follower that lost what it had received (it restarted) starts over.
        guard response.lastIndex == progress.snapshotIndex, response.received != progress.snapshotAcked else { return }
        progress.snapshotAcked = response.received
        asLeader { $0.progress[slot] = progress }
        sendSnapshotChunk(slot: slot)
    }

    // MARK: Follower: receiving a snapshot

    mutating func handleInstallSnapshot(_ request: InstallSnapshot, from leader: NodeID) {
        if role != .follower || leaderID != leader {
            becomeFollower(term: term, leader: leader)
        } else {
            resetElectionDeadline()
        }
        lastLeaderContact = now
        if request.lastIndex <= commitIndex {
            // Everything it covers is committed here already: the logs match through it.
            answer(request, received: request.offset + request.data.count, done: true, to: leader)
            return
        }
        if request.offset == 0 {
            incomingSnapshot = IncomingSnapshot(lastIndex: request.lastIndex, lastTerm: request.lastTerm, data: [])
        }
        guard var incoming = incomingSnapshot, incoming.lastIndex == request.lastIndex,
            incoming.lastTerm == request.lastTerm, incoming.data.count == request.offset
        else {
            let have = incomingSnapshot.map { $0.lastIndex == request.lastIndex ? $0.data.count : 0 } ?? 0
            sendSnapshotAnswer(request, received: have, to: leader)
            return
        }
        incoming.data.append(contentsOf: request.data)
        guard request.done else {
            incomingSnapshot = incoming
            sendSnapshotAnswer(request, received: incoming.data.count, to: leader)
            return
        }
        incomingSnapshot = nil
        install(Snapshot(lastIndex: incoming.lastIndex, lastTerm: incoming.lastTerm, data: incoming.data))
        // Promises the snapshot is on disk: held until the write carrying it is synced.
        answer(request, received: incoming.data.count, done: true, to: leader)
    }

    /// Replaces the state up to the snapshot: a log that matches it there keeps what
    /// follows; any other log is discarded whole (§7).
    mutating func install(_ received: Snapshot) {
        if received.lastIndex <= log.lastIndex, log.term(at: received.lastIndex) == received.lastTerm {
            log.compact(through: received.lastIndex)
        } else {
            log.reset(toSnapshotAt: received.lastIndex, term: received.lastTerm)
            persistence.logChanged(from: received.lastIndex.advanced(by: 1))
        }
        snapshot = received
        persistence.snapshot = received
        commitIndex = max(commitIndex, received.lastIndex)
        appliedIndex = received.lastIndex
        restored = received
    }

    /// A chunk's acknowledgement promises nothing durable: sent at once.
    mutating func sendSnapshotAnswer(_ request: InstallSnapshot, received: Int, to leader: NodeID) {
        let response = InstallSnapshotResponse(
            term: term, lastIndex: request.lastIndex, received: received, done: false, round: request.round)
        send(.installSnapshotResponse(response), to: leader)
    }

    /// The final acknowledgement says the logs match through the snapshot: held until synced.
    mutating func answer(_ request: InstallSnapshot, received: Int, done: Bool, to leader: NodeID) {
        let response = InstallSnapshotResponse(
            term: term, lastIndex: request.lastIndex, received: received, done: done, round: request.round)
        reply(.installSnapshotResponse(response), to: leader)
    }

    // MARK: Catching up after disk damage

    /// Ends the non-voting period once the log provably holds every entry this server
    /// may have acknowledged before the damage (see `CatchUp`).
    mutating func releaseCatchUpIfDone() {
        guard let pending = catchUp else { return }
        let committedTerm = log.term(at: commitIndex) ?? .zero
        if peers.isEmpty || commitIndex >= pending.possibleEnd || committedTerm > pending.term {
            catchUp = nil
        }
    }
}
