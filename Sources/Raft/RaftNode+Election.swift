import SynodCore

/// What a candidate tracks during one election.
struct CandidateState: Sendable {
    /// Servers that granted their vote, this one included once its own vote is durable.
    var votes: Set<NodeID> = []
    /// The write that records the self-vote; the vote counts only once it is synced,
    /// or a crash could let this server win with a vote it then forgets.
    var selfVoteWrite: PersistID?
}

extension RaftNode {
    /// Whether this server heard from a live leader within the minimum election timeout
    /// (a leader counts itself). Such a server refuses pre-votes and, with CheckQuorum,
    /// ignores vote requests: the leader it hears is alive.
    var heardFromLeaderRecently: Bool {
        if role == .leader { return true }
        guard let contact = lastLeaderContact else { return false }
        return now - contact < configuration.electionTimeoutMin
    }

    /// Messages whose term must not move this server's term: pre-votes and their
    /// answers, and, under leader stickiness, vote requests while a leader is heard.
    /// Returns true when the message was handled here.
    mutating func handledBeforeTermCheck(_ envelope: Envelope<RaftMessage>) -> Bool {
        switch envelope.message {
        case .requestVote(let request) where request.isPreVote:
            handlePreVote(request, from: envelope.from)
            return true
        case .requestVoteResponse(let response) where response.isPreVote:
            // Only a pre-candidate asked; anyone else ignores the answer, term and all.
            guard role == .preCandidate else { return true }
            if !response.granted && response.term > term {
                becomeFollower(term: response.term, leader: nil)
            } else {
                handlePreVoteResponse(response, from: envelope.from)
            }
            return true
        case .requestVote(let request)
        where configuration.checkQuorum && !request.isTransfer && request.term > term && heardFromLeaderRecently:
            // Leader stickiness (§4.2.3): ignore it, term and all.
            return true
        default:
            return false
        }
    }

    /// PreVote (§9.6): ask for votes in the next term without raising our own.
    mutating func startPreVote() {
        let state = CandidateState(votes: votesForSelf ? [id] : [], selfVoteWrite: nil)
        roleState = .preCandidate(state)
        leaderID = nil
        resetElectionDeadline()
        if quorum.isReached(byVotersIn: state.votes) { return campaign(transfer: false) }
        let request = RequestVote(
            term: term.next, lastLogIndex: log.lastIndex, lastLogTerm: log.lastTerm, isPreVote: true)
        for peer in peers { send(.requestVote(request), to: peer) }
    }

    mutating func handlePreVote(_ request: RequestVote, from candidate: NodeID) {
        let granted =
            request.term > term && !heardFromLeaderRecently && catchUpCovers(request)
            && log.isUpToDate(lastIndex: request.lastLogIndex, lastTerm: request.lastLogTerm)
        // Promises nothing and changes nothing here, so it needs no sync.
        let response = RequestVoteResponse(term: granted ? request.term : term, granted: granted, isPreVote: true)
        send(.requestVoteResponse(response), to: candidate)
    }

    mutating func handlePreVoteResponse(_ response: RequestVoteResponse, from voter: NodeID) {
        guard response.granted, response.term == term.next else { return }
        if countVote(from: voter, preVote: true) { campaign(transfer: false) }
    }

    /// The election timer ran out: PreVote or an election, unless this server abstains
    /// (its disk cannot write), which then only waits another timeout.
    mutating func electionTimedOut() {
        if abstaining {
            if role != .follower { becomeFollower(term: term, leader: nil) }
            resetElectionDeadline()
        } else if configuration.preVote {
            startPreVote()
        } else {
            campaign(transfer: false)
        }
    }

    /// The leader hands over: campaign at once, skipping the pre-vote. A server whose
    /// disk cannot write declines; the leader's transfer then gives up.
    mutating func handleTimeoutNow(from leader: NodeID) {
        guard role == .follower, leaderID == leader, catchUp == nil, !abstaining else { return }
        campaign(transfer: true)
    }

    /// The disk cannot write (`true`) or writes again (`false`). A leader whose log
    /// cannot be made durable stalls every write of the cluster while its heartbeats keep
    /// the followers loyal, so it hands leadership to its most up-to-date follower
    /// (§3.10), and steps down if that transfer gives up; a candidate gives up its
    /// candidacy; none campaigns until the disk writes again. Votes need no rule of
    /// their own: each waits for its sync, which does not come while the disk fails.
    public mutating func abstain(_ abstaining: Bool, at now: Instant, into out: inout RaftOutput) {
        guard abstaining != self.abstaining else {
            begin(at: now)
            return finish(into: &out)
        }
        self.abstaining = abstaining
        if abstaining, role == .leader, transferTarget == nil, let target = mostUpToDateFollower {
            transferLeadership(to: target, at: now, into: &out)
            return
        }
        begin(at: now)
        if abstaining, role != .follower, transferTarget == nil { stepAside() }
        finish(into: &out)
    }

    /// Leaves leadership or candidacy in the current term without raising it, and
    /// supports the next candidate at once: it does not count on a leader of its own.
    mutating func stepAside() {
        becomeFollower(term: term, leader: nil)
        lastLeaderContact = nil
    }

    /// The follower whose log matches the leader's furthest (one that answered lately
    /// first, then the lowest id): the one a transfer reaches soonest.
    var mostUpToDateFollower: NodeID? {
        leading { state -> NodeID? in
            var best: Int?
            for slot in state.peers.indices {
                guard let chosen = best else {
                    best = slot
                    continue
                }
                let match = state.progress[slot].matchIndex
                let bestMatch = state.progress[chosen].matchIndex
                if match > bestMatch
                    || (match == bestMatch && state.recentlyActive[slot] && !state.recentlyActive[chosen])
                {
                    best = slot
                }
            }
            return best.map { state.peers[$0] }
        } ?? nil
    }

    /// Leader election (§5.2): raise the term, vote for yourself, ask everyone else.
    mutating func campaign(transfer: Bool) {
        term = term.next
        votedFor = id
        persistence.hardStateChanged = true
        roleState = .candidate(
            CandidateState(votes: [], selfVoteWrite: votesForSelf ? persistence.lastIssued.next : nil))
        leaderID = nil
        resetElectionDeadline()
        let request = RequestVote(
            term: term, lastLogIndex: log.lastIndex, lastLogTerm: log.lastTerm, isTransfer: transfer)
        for peer in peers { send(.requestVote(request), to: peer) }
    }

    mutating func handleRequestVote(_ request: RequestVote, from candidate: NodeID) {
        // Leader stickiness (§4.2.3) whatever the request's term: a server that hears a
        // live leader supports no one else (a transfer's candidate excepted).
        if configuration.checkQuorum, !request.isTransfer, heardFromLeaderRecently, leaderID != candidate {
            reply(.requestVoteResponse(RequestVoteResponse(term: term, granted: false)), to: candidate)
            return
        }
        let canVote = (votedFor == nil || votedFor == candidate) && catchUpCovers(request)
        let granted =
            canVote && role != .leader
            && log.isUpToDate(lastIndex: request.lastLogIndex, lastTerm: request.lastLogTerm)
        if granted {
            if votedFor != candidate {
                votedFor = candidate
                persistence.hardStateChanged = true
            }
            resetElectionDeadline()
        }
        reply(.requestVoteResponse(RequestVoteResponse(term: term, granted: granted)), to: candidate)
    }

    /// A server catching up after disk damage votes only for a candidate whose log is at
    /// least as up to date as any it may have lost (`CatchUp.covers`), so that a majority
    /// restarted with damaged tails can still elect the server that kept their entries.
    func catchUpCovers(_ request: RequestVote) -> Bool {
        catchUp?.covers(lastIndex: request.lastLogIndex, lastTerm: request.lastLogTerm) ?? true
    }

    /// Whether this server counts its own vote: not while its own log may lack entries
    /// it acknowledged before the damage; it then needs a majority of the others.
    var votesForSelf: Bool { catchUp?.covers(lastIndex: log.lastIndex, lastTerm: log.lastTerm) ?? true }

    mutating func handleVoteResponse(_ response: RequestVoteResponse, from voter: NodeID) {
        guard response.granted else { return }
        if countVote(from: voter, preVote: false) { becomeLeader() }
    }

    /// A new leader appends a no-op of its own term: entries of earlier terms commit
    /// only underneath an entry of the current term (§5.4.2).
    mutating func becomeLeader() {
        var state = LeaderState(peers: peers, nextIndex: log.lastIndex.advanced(by: 1), now: now)
        state.heartbeatDue = now + configuration.heartbeatInterval
        state.quorumCheckDue = now + configuration.electionTimeoutMin
        roleState = .leader(state)
        leaderID = id
        // The Figure 8 bug is only visible without the no-op, which is what makes waiting
        // for an entry of the current term cheap; the broken variant leaves both out.
        if !configuration.bugs.contains(.commitPreviousTerm) {
            appendAsLeader(.noop(term: term, index: log.lastIndex.advanced(by: 1)))
        }
        // Announce the new term at once rather than at the first heartbeat, as round 1:
        // its answers start the leader's lease.
        beginRound()
        for slot in state.peers.indices { sendAppend(slot: slot) }
    }
}
