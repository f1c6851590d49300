import SynodCore

/// Multi-Paxos as a `ConsensusCore`. It keeps no snapshots, so compaction only wakes it;
/// reads are confirmed by the leader alone (a follower refuses them), whatever the
/// confirmation asked for.
extension MultiPaxosNode: ConsensusCore {
    public typealias Message = MultiPaxosMessage

    public var isLeader: Bool { role == .leader && !abstaining }

    public var lastIndex: LogIndex { log.lastSlot }

    /// The leader's own accepts of its newest slots have not synced yet.
    public var ownWriteInFlight: Bool { leading { !$0.ownAccepts.isEmpty } ?? false }

    public var isCatchingUp: Bool { false }

    public var hasUnsyncedWrites: Bool { persistence.lastIssued != persistence.lastSynced }

    public var isAbstaining: Bool { abstaining }

    /// Multi-Paxos sends no snapshots: nothing to wait for.
    public var holdsCompaction: Bool { false }

    public mutating func read(
        _ id: UInt64, confirmation: ReadConfirmation, at now: Instant, into out: inout MultiPaxosOutput
    ) {
        read(id, at: now, into: &out)
    }

    public mutating func compact(
        through index: LogIndex, data: [UInt8], at now: Instant, into out: inout MultiPaxosOutput
    ) {
        begin(at: now)
        finish(into: &out)
    }
}

extension MultiPaxosOutput: ConsensusOutput {
    public typealias Message = MultiPaxosMessage
    public typealias Write = MultiPaxosWrite

    /// Multi-Paxos installs no snapshots.
    public var restored: Snapshot? { nil }
}
