import SynodCore

extension RaftNode {
    /// The largest term, index, offset or byte count a message may carry, as on the peer
    /// wire: 2⁶² leaves room for every step the core takes on one (an index plus one, an
    /// offset plus a chunk's length, a term plus one per election) without overflow.
    public static let messageValueLimit: UInt64 = 1 << 62

    /// Whether `envelope` could have come from an honest member at all, whatever this
    /// server's state: a peer's message, values within `messageValueLimit`, entries that
    /// follow `prevLogIndex` one by one with terms that never go down nor pass the
    /// sender's. Anything else is dropped before it touches the term or the log, so a
    /// hostile or corrupt message cannot reach a log precondition or overflow.
    func isWellFormed(_ envelope: Envelope<RaftMessage>) -> Bool {
        guard envelope.from != id, quorum.members.contains(envelope.from) else { return false }
        let limit = Self.messageValueLimit
        func fits(_ term: Term) -> Bool { term.rawValue <= limit }
        func fits(_ index: LogIndex) -> Bool { index.rawValue <= limit }
        func fits(_ count: Int) -> Bool { count >= 0 && UInt64(count) <= limit }
        switch envelope.message {
        case .requestVote(let m):
            return fits(m.term) && fits(m.lastLogIndex) && m.lastLogTerm <= m.term
        case .requestVoteResponse(let m):
            return fits(m.term)
        case .appendEntries(let m):
            guard fits(m.term), fits(m.prevLogIndex), fits(m.leaderCommit), m.prevLogTerm <= m.term else {
                return false
            }
            var expected = m.prevLogIndex.rawValue
            var previousTerm = m.prevLogTerm
            for entry in m.entries {
                expected += 1
                guard entry.index.rawValue == expected, entry.term >= previousTerm, entry.term <= m.term else {
                    return false
                }
                previousTerm = entry.term
            }
            return expected <= limit
        case .appendEntriesResponse(let m):
            return fits(m.term) && fits(m.matchIndex) && fits(m.rejectedIndex) && fits(m.conflictIndex)
                && (m.conflictTerm.map { $0 <= m.term } ?? true)
        case .timeoutNow(let m):
            return fits(m.term)
        case .readIndexRequest(let m):
            return fits(m.term)
        case .readIndexResponse(let m):
            return fits(m.term) && (m.index.map { fits($0) } ?? true)
        case .installSnapshot(let m):
            return fits(m.term) && fits(m.lastIndex) && m.lastTerm <= m.term && fits(m.offset)
        case .installSnapshotResponse(let m):
            return fits(m.term) && fits(m.lastIndex) && fits(m.received)
        }
    }

    /// Whether an answer names a heartbeat round this leader has begun: a follower only
    /// echoes rounds it was sent, and a later one would confirm reads nobody confirmed.
    func isRoundSent(_ round: UInt64) -> Bool {
        guard let current = leading({ $0.round }) else { return false }
        return round <= current
    }
}
