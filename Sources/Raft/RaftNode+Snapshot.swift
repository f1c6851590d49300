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

    /// Sends the follower at `slot` its snapshot instead of an AppendEntries its next
    /// entry is gone for: the next chunk when none is in flight or the one in flight is
    /// overdue, otherwise an empty chunk that only keeps the follower following and asks
    /// how far it got (a heartbeat or ReadIndex round must not resend a whole chunk).
    mutating func sendSnapshotChunk(slot: Int) {
        guard let current = snapshot, case .leader(let state) = roleState else { return }
        var progress = state.progress[slot]
        let round = state.round
        let peer = state.peers[slot]
        var transfer = progress.transfer ?? SnapshotTransfer(snapshot: current, now: now)
        let image = transfer.snapshot
        let start = min(transfer.acked, image.data.count)
        let carriesData = transfer.chunkDue(at: now, resendAfter: configuration.snapshotResendTimeout)
        let end = carriesData ? min(start + configuration.snapshotChunkSize, image.data.count) : start
        if carriesData { transfer.chunkSentAt = now }
        let done = carriesData && end == image.data.count
        progress.transfer = transfer
        progress.isProbing = true
        progress.lastSent = now
        asLeader { $0.progress[slot] = progress }
        let request = InstallSnapshot(
            term: term, lastIndex: image.lastIndex, lastTerm: image.lastTerm, offset: start,
            data: image.data[start..<end], done: done, round: round)
        send(.installSnapshot(request), to: peer)
    }

    /// Whether a snapshot transfer made progress within the last resend timeout: log
    /// compaction waits for it, since a newer snapshot would need the follower to start
    /// over and the entries after the one on its way would be gone.
    public var holdsCompaction: Bool {
        guard case .leader(let state) = roleState else { return false }
        let recent = now - configuration.snapshotResendTimeout
        return state.progress.contains { $0.transfer.map { $0.progressedAt >= recent } ?? false }
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
            progress.transfer = nil
            progress.isProbing = false
            asLeader { $0.progress[slot] = progress }
            advanceCommitIndex()
            sendTimeoutNowIfReady(slot: slot)
            if progress.nextIndex <= log.lastIndex { sendAppend(slot: slot) }
            return
        }
        // An answer that reports what the leader already knew (to an empty chunk, or a
        // duplicate) changes nothing: the chunk in flight is still on its way or will be
        // resent when overdue. New bytes send the next chunk at once; fewer bytes (the
        // follower restarted and lost what it had) start over from there.
        guard var transfer = progress.transfer, response.lastIndex == transfer.snapshot.lastIndex,
            response.received != transfer.acked, response.received <= transfer.snapshot.data.count
        else { return }
        transfer.acked = response.received
        transfer.chunkSentAt = nil
        transfer.progressedAt = now
        progress.transfer = transfer
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
        // A transfer starts over at offset 0 with data; an empty chunk there only asks
        // how far this server got.
        let sameSnapshot = incomingSnapshot.map { $0.lastIndex == request.lastIndex && $0.lastTerm == request.lastTerm }
        if request.offset == 0, !request.data.isEmpty || request.done || sameSnapshot != true {
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
