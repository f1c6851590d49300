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
    /// Leader election (§5.2): raise the term, vote for yourself, ask everyone else.
    mutating func campaign() {
        term = term.next
        votedFor = id
        persistence.hardStateChanged = true
        role = .candidate
        leaderID = nil
        leaderState = nil
        candidateState = CandidateState(votes: [], selfVoteWrite: persistence.lastIssued.next)
        resetElectionDeadline()
        let request = RequestVote(term: term, lastLogIndex: log.lastIndex, lastLogTerm: log.lastTerm)
        for peer in peers { send(.requestVote(request), to: peer) }
    }

    mutating func handleRequestVote(_ request: RequestVote, from candidate: NodeID) {
        let canVote = votedFor == nil || votedFor == candidate
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

    mutating func handleVoteResponse(_ response: RequestVoteResponse, from voter: NodeID) {
        guard role == .candidate, response.granted else { return }
        candidateState!.votes.insert(voter)
        if quorum.isReached(byVotersIn: candidateState!.votes) { becomeLeader() }
    }

    /// A new leader appends a no-op of its own term: entries of earlier terms commit
    /// only underneath an entry of the current term (§5.4.2).
    mutating func becomeLeader() {
        role = .leader
        leaderID = id
        candidateState = nil
        leaderState = LeaderState(peers: peers, nextIndex: log.lastIndex.advanced(by: 1), now: now)
        leaderState!.heartbeatDue = now + configuration.heartbeatInterval
        // The Figure 8 bug is only visible without the no-op, which is what makes waiting
        // for an entry of the current term cheap; the broken variant leaves both out.
        if !configuration.bugs.contains(.commitPreviousTerm) {
            appendAsLeader(.noop(term: term, index: log.lastIndex.advanced(by: 1)))
        }
        // Announce the new term at once rather than at the first heartbeat.
        for slot in leaderState!.peers.indices { sendAppend(slot: slot) }
    }
}
