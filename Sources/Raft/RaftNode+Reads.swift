import SynodCore

/// A read waiting for the leader to confirm it still leads.
struct PendingRead: Sendable {
    var id: UInt64
    /// The heartbeat round a majority must answer.
    var round: UInt64
    /// The follower that asked (follower ReadIndex), or nil for a local client.
    var requester: NodeID?
}

/// The instants at which recent heartbeat rounds began, to turn an acknowledged round
/// into "this follower heard me at or after t" for leases.
struct RoundClock: Sendable {
    private var slots = [(round: UInt64, start: Instant)](repeating: (0, .zero), count: 256)

    mutating func begin(_ round: UInt64, at now: Instant) { slots[Int(round % 256)] = (round, now) }

    func start(of round: UInt64) -> Instant? {
        let slot = slots[Int(round % 256)]
        return slot.round == round ? slot.start : nil
    }
}

extension RaftNode {
    /// Asks for a linearizable read point for client read `id`. On the leader it is
    /// confirmed by a heartbeat round (ReadIndex) or, with `.lease`, at once while the
    /// lease holds; on a follower it is asked of the leader (follower ReadIndex). The
    /// answer comes later in `RaftOutput.reads` or `RaftOutput.failedReads`.
    public mutating func read(_ id: UInt64, confirmation: ReadConfirmation, at now: Instant, into out: inout RaftOutput)
    {
        begin(at: now)
        defer { finish(into: &out) }
        switch role {
        case .leader:
            if confirmation == .lease, leaseHolds {
                readyReads.append(ReadState(id: id, index: commitIndex))
                return
            }
            startReadRound(id: id, requester: nil)
        default:
            if let leader = leaderID {
                send(.readIndexRequest(ReadIndexRequest(term: term, id: id)), to: leader)
            } else {
                failedReads.append(id)
            }
        }
    }

    /// A new leader knows its commit index is current only once an entry of its own
    /// term has committed (§8); until then it answers no reads.
    var hasCommittedInTerm: Bool { log.term(at: commitIndex) == term }

    /// The leader lease: a majority answered a round begun less than the lease ago, so
    /// no other leader can have been elected (voters ignore elections that soon after
    /// hearing a leader). Needs CheckQuorum; never during a leadership transfer, whose
    /// target campaigns at once.
    var leaseHolds: Bool {
        guard case .leader(let state) = roleState, configuration.checkQuorum, state.transfer == nil,
            !state.leaseForfeited, hasCommittedInTerm
        else {
            return false
        }
        let never = Instant(nanoseconds: .min / 4)
        let heard = quorum.committed { member -> Instant in
            if member == id { return now }
            let slot = state.slot(of: member)!
            return state.roundClock.start(of: state.ackedRound[slot]) ?? never
        }
        let lease =
            configuration.bugs.contains(.leaseIgnoresDrift)
            ? configuration.electionTimeoutMin : configuration.leaseDuration
        return now < heard + lease
    }

    mutating func startReadRound(id: UInt64, requester: NodeID?) {
        beginRound()
        let followers = asLeader { state in
            state.pendingReads.append(PendingRead(id: id, round: state.round, requester: requester))
            return state.peers.count
        }
        for slot in 0..<(followers ?? 0) { sendAppend(slot: slot) }
        confirmReads()
    }

    /// Starts a new heartbeat round: messages sent from now on carry its number.
    mutating func beginRound() {
        let now = self.now
        asLeader { state in
            state.round += 1
            state.roundClock.begin(state.round, at: now)
        }
    }

    /// Releases every pending read whose round a majority has answered.
    mutating func confirmReads() {
        guard case .leader(let state) = roleState, !state.pendingReads.isEmpty, hasCommittedInTerm else { return }
        let confirmed = quorum.committed { member -> UInt64 in
            member == id ? state.round : state.ackedRound[state.slot(of: member)!]
        }
        var kept: [PendingRead] = []
        for read in state.pendingReads {
            guard read.round <= confirmed else {
                kept.append(read)
                continue
            }
            if let requester = read.requester {
                send(.readIndexResponse(ReadIndexResponse(term: term, id: read.id, index: commitIndex)), to: requester)
            } else {
                readyReads.append(ReadState(id: read.id, index: commitIndex))
            }
        }
        asLeader { $0.pendingReads = kept }
    }

    /// A leader that steps down answers its waiting reads with a failure.
    mutating func failPendingReads() {
        guard let reads = leading({ $0.pendingReads }), !reads.isEmpty else { return }
        for read in reads {
            if let requester = read.requester {
                send(.readIndexResponse(ReadIndexResponse(term: term, id: read.id, index: nil)), to: requester)
            } else {
                failedReads.append(read.id)
            }
        }
        asLeader { $0.pendingReads.removeAll() }
    }

    mutating func handleReadIndexRequest(_ request: ReadIndexRequest, from follower: NodeID) {
        if role == .leader {
            startReadRound(id: request.id, requester: follower)
        } else {
            send(.readIndexResponse(ReadIndexResponse(term: term, id: request.id, index: nil)), to: follower)
        }
    }

    mutating func handleReadIndexResponse(_ response: ReadIndexResponse) {
        if let index = response.index {
            readyReads.append(ReadState(id: response.id, index: index))
        } else {
            failedReads.append(response.id)
        }
    }
}
