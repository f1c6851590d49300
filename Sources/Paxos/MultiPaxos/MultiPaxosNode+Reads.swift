import SynodCore

/// Linearizable reads without a slot: the leader takes a read point, then confirms
/// with a heartbeat round that no other proposer can have chosen anything newer.
extension MultiPaxosNode {
    struct PendingRead: Sendable {
        var id: UInt64
        var index: LogIndex
        var round: UInt64
    }

    /// Answers confirming a read must come from enough acceptors (this one included)
    /// to meet every phase-1 quorum: a rival leader needs a phase-1 quorum before it can
    /// choose anything, so one of them would have refused the round. N − Q1 + 1, which is
    /// at most Q2.
    public var readQuorum: Int { quorums.nodes - quorums.phase1 + 1 }

    /// A client wants a linearizable read point: read `id` appears in `reads` once the
    /// state machine may serve it after applying the given slot, or in `failedReads`
    /// when this server does not lead. The point is the High-Water Mark, but no lower
    /// than what phase 1 recovered, which holds every slot chosen by earlier leaders.
    public mutating func read(_ id: UInt64, at now: Instant, into out: inout MultiPaxosOutput) {
        begin(at: now)
        if let recoveryEnd = leading({ $0.recoveryEnd }) {
            let index = max(commitIndex, recoveryEnd)
            asLeader { $0.reads.append(PendingRead(id: id, index: index, round: $0.round + 1)) }
            broadcastHeartbeat()
            releaseReads()
        } else {
            failedReads.append(id)
        }
        finish(into: &out)
    }

    /// Releases the reads whose heartbeat round a read quorum answered and whose point
    /// is chosen here.
    mutating func releaseReads() {
        guard case .leader(let state) = roleState, !state.reads.isEmpty else { return }
        var kept: [PendingRead] = []
        for read in state.reads {
            var answered = 1
            for peer in peers where state.answeredRound[peer, default: 0] >= read.round { answered += 1 }
            if answered >= readQuorum, read.index <= commitIndex {
                readyReads.append(ReadState(id: read.id, index: read.index))
            } else {
                kept.append(read)
            }
        }
        asLeader { $0.reads = kept }
    }
}
