import SynodCore

/// Raft as a `ConsensusCore`: what the replica core and the simulator ask of any core.
extension RaftNode: ConsensusCore {
    public typealias Message = RaftMessage

    public var isLeader: Bool { role == .leader }

    public var lastIndex: LogIndex { log.lastIndex }

    /// The leader's own write of its newest entries has not synced yet.
    public var ownWriteInFlight: Bool { durableIndex < log.lastIndex }

    public var isCatchingUp: Bool { catchUp != nil }
}

extension RaftOutput: ConsensusOutput {
    public typealias Message = RaftMessage
    public typealias Write = RaftWrite
}
