import SynodCore

/// Phase 1, run once per leadership for every slot from the first unchosen one on.
extension MultiPaxosNode {
    struct CandidateState: Sendable {
        var fromSlot: LogIndex
        /// Acceptors whose promise arrived (own promise only once synced), one bit per id.
        var promises: UInt64 = 0
        /// The write holding this server's own promise, until it is synced.
        var ownPromise: PersistID?
        /// Per slot, the accepted value of the highest ballot any promise reported.
        var accepted: [LogIndex: AcceptedSlot] = [:]
        var chosen: [LogIndex: LogEntry] = [:]
        var highestSlot: LogIndex = .zero
    }

    var promiseCount: Int {
        if case .candidate(let state) = roleState { state.promises.nonzeroBitCount } else { 0 }
    }

    /// Starts phase 1 with a ballot above every ballot seen; a candidate whose round did
    /// not finish in time retries with a higher one after a fresh random timeout. The
    /// Prepares leave only once this server's own promise of the ballot is on disk: a
    /// server that crashed before that would derive the same ballot from its disk at
    /// restart and propose again in it, so no peer may have seen it yet.
    mutating func campaign() {
        failLeaderReads()
        leaderID = nil
        ballot = max(highestSeen, promised).next(for: id)
        highestSeen = ballot
        promise(ballot)
        var state = CandidateState(fromSlot: commitIndex.advanced(by: 1))
        Self.collect(log.accepted(from: state.fromSlot), log.chosen(from: state.fromSlot), into: &state)
        roleState = .candidate(state)
        resetElectionDeadline()
        let prepare = MultiPaxosMessage.prepare(Prepare(ballot: ballot, fromSlot: state.fromSlot))
        for peer in peers {
            if configuration.bugs.contains(.prepareBeforePromiseSynced) {
                send(prepare, to: peer)
            } else {
                reply(prepare, to: peer)
            }
        }
    }

    /// The election timer ran out: phase 1, unless this server abstains (its disk cannot
    /// write), which then gives up a candidacy and waits another timeout.
    mutating func electionTimedOut() {
        guard abstaining else { return campaign() }
        if role != .follower { becomeFollower(leader: nil) }
        resetElectionDeadline()
    }

    /// The disk cannot write (`true`) or writes again (`false`). A leader whose accepts
    /// cannot be made durable stalls every write while its heartbeats keep the others
    /// from running phase 1, so it steps down at once (Multi-Paxos has no transfer: its
    /// heartbeats stop, and a follower's timer starts phase 1); a candidate gives up; none
    /// campaigns until the disk writes again. Promises and accepts wait for their sync.
    public mutating func abstain(_ abstaining: Bool, at now: Instant, into out: inout MultiPaxosOutput) {
        begin(at: now)
        if abstaining != self.abstaining {
            self.abstaining = abstaining
            if abstaining, role != .follower {
                becomeFollower(leader: nil)
                lastLeaderContact = nil
            }
        }
        finish(into: &out)
    }

    mutating func failLeaderReads() {
        for read in leading({ $0.reads }) ?? [] { failedReads.append(read.id) }
    }

    static func collect(_ accepted: [AcceptedSlot], _ chosen: [LogEntry], into state: inout CandidateState) {
        for value in accepted where value.slot >= state.fromSlot {
            if let known = state.accepted[value.slot], known.ballot >= value.ballot { continue }
            state.accepted[value.slot] = value
            state.highestSlot = max(state.highestSlot, value.slot)
        }
        for entry in chosen where entry.index >= state.fromSlot {
            state.chosen[entry.index] = entry
            state.highestSlot = max(state.highestSlot, entry.index)
        }
    }

    /// An acceptor's side of phase 1. With `stickyLeader`, a server that heard from a
    /// leader within the minimum election timeout ignores other proposers, so that one
    /// that merely cannot hear the leader does not depose it.
    mutating func handlePrepare(_ prepare: Prepare, from peer: NodeID) {
        if prepare.ballot < promised {
            send(.reject(Reject(ballot: prepare.ballot, promised: promised)), to: peer)
            return
        }
        if prepare.ballot > promised {
            if configuration.stickyLeader, hearsLiveLeader, prepare.ballot.node != leaderID { return }
            if role != .follower || leaderID != nil { becomeFollower(leader: nil) }
            promise(prepare.ballot)
            resetElectionDeadline()
        }
        reply(
            .promise(
                Promise(
                    ballot: prepare.ballot, accepted: log.accepted(from: prepare.fromSlot),
                    chosen: log.chosen(from: prepare.fromSlot))),
            to: peer)
    }

    /// Whether a leader (this server included) was heard within the minimum timeout.
    var hearsLiveLeader: Bool {
        if role == .leader { return true }
        guard leaderID != nil, let contact = lastLeaderContact else { return false }
        return now - contact < configuration.electionTimeoutMin
    }

    mutating func handlePromise(_ promise: Promise, from peer: NodeID) {
        guard promise.ballot == ballot else { return }
        // Phase 1 settles every slot up to the highest reported, so a slot with no room
        // here makes the whole promise unusable; dropping only that slot would be unsafe.
        guard promise.accepted.allSatisfy({ hasRoom(for: $0.slot) }),
            promise.chosen.allSatisfy({ hasRoom(for: $0.index) })
        else { return }
        let peerBit = bit(peer)
        let counted: Bool =
            asCandidate { state in
                state.promises |= peerBit
                Self.collect(promise.accepted, promise.chosen, into: &state)
                return true
            } ?? false
        if counted, promiseCount >= quorums.phase1 { becomeLeader() }
    }

    /// A higher promise exists: step down and let the timer back off at random.
    mutating func handleReject(_ reject: Reject, from peer: NodeID) {
        guard role != .follower, reject.ballot == ballot, reject.promised > ballot else { return }
        becomeFollower(leader: nil)
    }

    /// Phase 1 succeeded: every slot from the first unchosen one to the highest reported
    /// is settled now. Values known chosen are learned; the value of the highest ballot
    /// is proposed again in this ballot; a gap where nothing was accepted gets a no-op.
    mutating func becomeLeader() {
        guard case .candidate(let state) = roleState else { return }
        leaderID = id
        var recovered: [LogEntry] = []
        var slot = state.fromSlot
        while slot <= state.highestSlot {
            if let chosen = state.chosen[slot] {
                learnChosen(chosen)
            } else if let accepted = state.accepted[slot] {
                recovered.append(accepted.entry)
            } else if log[slot].chosen == nil {
                recovered.append(.noop(term: ballot.generation, index: slot))
            }
            slot = slot.advanced(by: 1)
        }
        // Slots below `fromSlot` are chosen and known here: new values go after them too.
        let recoveryEnd = max(state.highestSlot, state.fromSlot.advanced(by: -1))
        roleState = .leader(
            LeaderState(
                nextSlot: recoveryEnd.advanced(by: 1), recoveryEnd: recoveryEnd, peers: peers, now: now,
                configuration: configuration))
        advanceCommitIndex()
        for start in stride(from: 0, to: recovered.count, by: configuration.maxEntriesPerMessage) {
            proposeInPhase2(Array(recovered[start..<min(start + configuration.maxEntriesPerMessage, recovered.count)]))
        }
        broadcastHeartbeat()
    }
}
