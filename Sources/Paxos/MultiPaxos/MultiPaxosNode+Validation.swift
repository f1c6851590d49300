import SynodCore

/// What a message must look like before a server acts on it: a hostile or corrupt one
/// is dropped rather than allowed to overflow a ballot, index a slot outside the log
/// or grow the log by billions of slots.
extension MultiPaxosNode {
    /// Ballot rounds above this are refused: every later election still has room to go
    /// one higher, and the round still packs into a generation (`round << 16`).
    public static let ballotRoundLimit: UInt64 = 1 << 40

    /// How far past its highest slot a server takes a value. A leader proposes slots in
    /// order, so an honest acceptor lags by the values it missed; a slot further out is
    /// skipped (as if its message were lost) rather than grow the log that far.
    public static let slotWindow: UInt64 = 1 << 16

    /// The largest slot or High-Water Mark a message may name at all.
    static let slotLimit: UInt64 = 1 << 62

    /// Whether `envelope` could have come from an honest member at all: a peer's, with
    /// ballots of members within `ballotRoundLimit` and slots within `slotLimit`.
    func isWellFormed(_ envelope: Envelope<MultiPaxosMessage>) -> Bool {
        guard envelope.from != id, members.contains(envelope.from) else { return false }
        func fits(_ slot: LogIndex) -> Bool { slot.rawValue <= Self.slotLimit }
        guard isPlausible(envelope.message.ballot) else { return false }
        switch envelope.message {
        case .prepare(let m):
            return fits(m.fromSlot)
        case .promise(let m):
            return m.accepted.allSatisfy { isPlausible($0.ballot) }
        case .accept(let m):
            return fits(m.commit)
        case .accepted(let m):
            return fits(m.committed)
        case .reject(let m):
            return isPlausible(m.promised)
        case .heartbeat(let m):
            return fits(m.commit)
        case .heartbeatAck(let m):
            return fits(m.committed)
        case .learn:
            return true
        }
    }

    /// A ballot a member could have chosen: `.zero`, or a round within the limit and a
    /// member's id.
    func isPlausible(_ ballot: Ballot) -> Bool {
        guard let node = ballot.node else { return ballot.round == 0 }
        return ballot.round <= Self.ballotRoundLimit && members.contains(node)
    }

    /// Whether this server takes a value for `slot`: slot 0 does not exist, and one far
    /// past the log is skipped (see `slotWindow`).
    func hasRoom(for slot: LogIndex) -> Bool {
        slot.rawValue >= 1 && slot.rawValue - 1 < log.lastSlot.rawValue + Self.slotWindow
    }
}
