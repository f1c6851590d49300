import SynodCore

/// Phase 2, pipelined: the leader proposes a value per slot without waiting for the
/// slots before it; a slot is chosen once a phase-2 quorum accepted it in this ballot.
extension MultiPaxosNode {
    struct LeaderState: Sendable {
        /// The next slot to propose in.
        var nextSlot: LogIndex
        /// The highest slot phase 1 found anything in: once the High-Water Mark passes
        /// it, everything chosen before this leadership is known here.
        var recoveryEnd: LogIndex
        /// Unchosen slots proposed in this ballot: acceptors that accepted (one bit
        /// each) and when the Accept was last sent.
        var inFlight: [LogIndex: InFlight] = [:]
        /// Own accepts per write, counted once the write is synced.
        var ownAccepts: [(write: PersistID, slots: [LogIndex])] = []
        /// Each peer's High-Water Mark as last reported, for catch-up.
        var peerCommitted: [NodeID: LogIndex] = [:]
        /// When each peer was last heard from in this ballot (the quorum check).
        var lastHeard: [NodeID: Instant] = [:]
        var nextHeartbeat: Instant
        /// When an Accept last went to every acceptor: it stands in for a heartbeat.
        var lastBroadcast: Instant
        /// Per peer, no Learn before this instant (one batch per heartbeat interval).
        var nextLearn: [NodeID: Instant] = [:]
        var quorumCheckAt: Instant
        /// Heartbeat rounds, and the highest round each peer answered (reads).
        var round: UInt64 = 0
        var answeredRound: [NodeID: UInt64] = [:]
        var reads: [PendingRead] = []

        init(
            nextSlot: LogIndex, recoveryEnd: LogIndex, peers: [NodeID], now: Instant,
            configuration: MultiPaxosConfiguration
        ) {
            self.nextSlot = nextSlot
            self.recoveryEnd = recoveryEnd
            self.nextHeartbeat = now + configuration.heartbeatInterval
            self.lastBroadcast = now
            self.quorumCheckAt = now + configuration.electionTimeoutMin
            for peer in peers { lastHeard[peer] = now }
        }

        func nextWake(_ configuration: MultiPaxosConfiguration) -> Instant {
            configuration.stickyLeader ? min(nextHeartbeat, quorumCheckAt) : nextHeartbeat
        }
    }

    struct InFlight: Sendable {
        var acceptors: UInt64
        var sentAt: Instant
    }

    /// Accepts `entries` here (counted once synced) and asks every acceptor to accept
    /// them, at once: an Accept promises nothing, so it need not wait for the disk.
    mutating func proposeInPhase2(_ entries: [LogEntry]) {
        guard !entries.isEmpty else { return }
        let now = self.now
        for entry in entries {
            acceptLocally(entry, in: ballot)
            asLeader { $0.inFlight[entry.index] = InFlight(acceptors: 0, sentAt: now) }
        }
        let accept = Accept(ballot: ballot, entries: entries, commit: commitIndex)
        for peer in peers { send(.accept(accept), to: peer) }
        asLeader { $0.lastBroadcast = now }
    }

    /// An acceptor's side of phase 2: accept unless a higher ballot was promised.
    mutating func handleAccept(_ accept: Accept, from peer: NodeID) {
        guard followLeader(of: accept.ballot, from: peer) else { return }
        promise(accept.ballot)
        // A slot with no room here is skipped, as if lost, and not reported accepted.
        let entries = accept.entries.filter { hasRoom(for: $0.index) }
        for entry in entries { acceptLocally(entry, in: accept.ballot) }
        learnCommit(accept.commit, in: accept.ballot)
        reply(
            .accepted(
                Accepted(
                    ballot: accept.ballot, slots: entries.map(\.index), committed: commitIndex,
                    behind: commitIndex < accept.commit)),
            to: peer)
    }

    /// Whether a message of `ballot` comes from a leader this server may follow; if so,
    /// it follows it (and steps down if it was a candidate or leader of a lower ballot).
    /// Otherwise the sender is told the higher promise.
    mutating func followLeader(of ballot: Ballot, from peer: NodeID) -> Bool {
        if ballot < promised {
            send(.reject(Reject(ballot: ballot, promised: promised)), to: peer)
            return false
        }
        if role != .follower, ballot != self.ballot { becomeFollower(leader: peer) }
        leaderID = peer
        lastLeaderContact = now
        resetElectionDeadline()
        return true
    }

    /// Slots up to the leader's High-Water Mark are chosen; where this acceptor holds
    /// the leader's own ballot, the value it accepted is the chosen one.
    mutating func learnCommit(_ commit: LogIndex, in ballot: Ballot) {
        var slot = commitIndex.advanced(by: 1)
        while slot <= commit, slot <= log.lastSlot {
            let state = log[slot]
            if state.chosen == nil, state.ballot == ballot, let entry = state.accepted { learnChosen(entry) }
            slot = slot.advanced(by: 1)
        }
        advanceCommitIndex()
    }

    mutating func handleAccepted(_ accepted: Accepted, from peer: NodeID) {
        guard role == .leader, accepted.ballot == ballot else { return }
        heard(from: peer, committed: accepted.committed)
        for slot in accepted.slots { acknowledge(slot, by: peer) }
        advanceCommitIndex()
        if accepted.behind { sendLearn(to: peer, above: accepted.committed) }
    }

    mutating func heard(from peer: NodeID, committed: LogIndex) {
        let now = self.now
        asLeader { state in
            state.lastHeard[peer] = now
            if committed > state.peerCommitted[peer, default: .zero] { state.peerCommitted[peer] = committed }
        }
    }

    /// Counts an acceptance; a phase-2 quorum chooses the slot.
    mutating func acknowledge(_ slot: LogIndex, by acceptor: NodeID) {
        guard var flight = leading({ $0.inFlight[slot] }) ?? nil else { return }
        flight.acceptors |= bit(acceptor)
        if flight.acceptors.nonzeroBitCount >= quorums.phase2, let entry = log[slot].accepted {
            asLeader { $0.inFlight[slot] = nil }
            learnChosen(entry)
        } else {
            asLeader { $0.inFlight[slot] = flight }
        }
    }

    mutating func handleHeartbeat(_ heartbeat: Heartbeat, from peer: NodeID) {
        guard followLeader(of: heartbeat.ballot, from: peer) else { return }
        learnCommit(heartbeat.commit, in: heartbeat.ballot)
        send(
            .heartbeatAck(HeartbeatAck(ballot: heartbeat.ballot, committed: commitIndex, round: heartbeat.round)),
            to: peer)
    }

    /// A follower answered: note it, and send it chosen values it lacks (catch-up).
    mutating func handleHeartbeatAck(_ ack: HeartbeatAck, from peer: NodeID) {
        // A round this leader has not begun cannot be answered; counting it would
        // confirm reads no quorum confirmed.
        guard role == .leader, ack.ballot == ballot, let sent = leading({ $0.round }), ack.round <= sent else { return }
        heard(from: peer, committed: ack.committed)
        asLeader { state in
            if ack.round > state.answeredRound[peer, default: 0] { state.answeredRound[peer] = ack.round }
        }
        if ack.committed < commitIndex { sendLearn(to: peer, above: ack.committed) }
        releaseReads()
    }

    /// Catch-up: the chosen values above a follower's High-Water Mark, one batch per
    /// heartbeat interval at most.
    mutating func sendLearn(to peer: NodeID, above committed: LogIndex) {
        // Only a follower below this leader's mark lacks chosen values; a higher mark
        // is no follower's, and one near the top would overflow `committed + 1`.
        guard committed < commitIndex else { return }
        guard let due = leading({ $0.nextLearn[peer, default: .zero] }), now >= due else { return }
        let entries = log.chosen(from: committed.advanced(by: 1), limit: configuration.maxEntriesPerMessage)
        guard !entries.isEmpty else { return }
        let next = now + configuration.heartbeatInterval
        asLeader { $0.nextLearn[peer] = next }
        send(.learn(Learn(ballot: ballot, entries: entries)), to: peer)
    }

    mutating func handleLearn(_ learn: Learn) {
        for entry in learn.entries where hasRoom(for: entry.index) { learnChosen(entry) }
        advanceCommitIndex()
    }

    /// Heartbeats every interval, unless an Accept went to every acceptor meanwhile
    /// (as Raft's AppendEntries stand in for its heartbeats); with them, Accepts still
    /// unanswered after two intervals go again to the acceptors that have not accepted.
    mutating func heartbeatIfDue() {
        guard let due = leading({ $0.nextHeartbeat }), now >= due else { return }
        retransmit()
        // As Raft's leader does, look again a quarter interval later at the soonest, so
        // that an Accept due at the same instant is not preceded by a needless heartbeat.
        let quiet = (leading { $0.lastBroadcast } ?? now) + configuration.heartbeatInterval
        if quiet >= now {
            let next = max(quiet, now + TimeSpan(nanoseconds: configuration.heartbeatInterval.nanoseconds / 4))
            asLeader { $0.nextHeartbeat = next }
        } else {
            broadcastHeartbeat()
        }
    }

    mutating func broadcastHeartbeat() {
        let next = now + configuration.heartbeatInterval
        let round: UInt64 =
            asLeader { state in
                state.round += 1
                state.nextHeartbeat = next
                return state.round
            } ?? 0
        let heartbeat = Heartbeat(ballot: ballot, commit: commitIndex, round: round)
        for peer in peers { send(.heartbeat(heartbeat), to: peer) }
    }

    mutating func retransmit() {
        let due = now - configuration.heartbeatInterval * 2
        var missing: [NodeID: [LogEntry]] = [:]
        var slot = commitIndex.advanced(by: 1)
        let end = leading { $0.nextSlot } ?? slot
        let now = self.now
        while slot < end {
            if var flight = leading({ $0.inFlight[slot] }) ?? nil, flight.sentAt <= due, let entry = log[slot].accepted
            {
                for peer in peers where flight.acceptors & bit(peer) == 0 { missing[peer, default: []].append(entry) }
                flight.sentAt = now
                asLeader { $0.inFlight[slot] = flight }
            }
            slot = slot.advanced(by: 1)
        }
        for peer in peers {
            guard let entries = missing[peer] else { continue }
            for start in stride(from: 0, to: entries.count, by: configuration.maxEntriesPerMessage) {
                let batch = Array(entries[start..<min(start + configuration.maxEntriesPerMessage, entries.count)])
                send(.accept(Accept(ballot: ballot, entries: batch, commit: commitIndex)), to: peer)
            }
        }
    }

    /// With `stickyLeader`: a leader that has not heard from enough acceptors to form a
    /// phase-2 quorum within the minimum election timeout steps down. Returns whether it did.
    mutating func checkQuorumIfDue() -> Bool {
        guard configuration.stickyLeader, case .leader(let state) = roleState, now >= state.quorumCheckAt else {
            return false
        }
        let since = now - configuration.electionTimeoutMin
        var live = 1
        for peer in peers where state.lastHeard[peer, default: .zero] >= since { live += 1 }
        if live < quorums.phase2 {
            becomeFollower(leader: nil)
            return true
        }
        let next = now + configuration.electionTimeoutMin
        asLeader { $0.quorumCheckAt = next }
        return false
    }
}
