import SynodCore

/// Raft as a `ConsensusCore`: what the replica core and the simulator ask of any core.
extension RaftNode: ConsensusCore {
    public typealias Message = RaftMessage

    /// A leader handing over leadership (§3.10), or whose disk cannot write, refuses
    /// proposals: it leads, but not for the replica's purposes.
    public var isLeader: Bool { role == .leader && transferTarget == nil && !abstaining }

    public var lastIndex: LogIndex { log.lastIndex }

    /// The leader's own write of its newest entries has not synced yet.
    public var ownWriteInFlight: Bool { durableIndex < log.lastIndex }

    public var isCatchingUp: Bool { catchUp != nil }

    public var hasUnsyncedWrites: Bool { persistence.lastIssued != persistence.lastSynced }

    public var isAbstaining: Bool { abstaining }
}

extension RaftOutput: ConsensusOutput {
    public typealias Message = RaftMessage
    public typealias Write = RaftWrite
}
