import SynodCore

/// A value an acceptor accepted for one slot of the Replicated Log, and the ballot it
/// accepted it in. `entry.index` is the slot; `entry.term` is the generation of the
/// ballot that first proposed the value, which re-proposals keep.
public struct AcceptedSlot: Sendable, Equatable {
    public var ballot: Ballot
    public var entry: LogEntry

    public init(ballot: Ballot, entry: LogEntry) {
        self.ballot = ballot
        self.entry = entry
    }

    public var slot: LogIndex { entry.index }
}

/// Phase 1a, sent once per leadership for every slot from `fromSlot` on: promise to
/// ignore ballots below `ballot`, and say what you accepted.
public struct Prepare: Sendable, Equatable {
    public var ballot: Ballot
    public var fromSlot: LogIndex

    public init(ballot: Ballot, fromSlot: LogIndex) {
        self.ballot = ballot
        self.fromSlot = fromSlot
    }
}

/// Phase 1b: the acceptor promised `ballot` (durably, before this left). `accepted`
/// holds its accepted values from the prepare's first slot on; `chosen`, the values it
/// knows chosen there, which the new leader need not propose again.
public struct Promise: Sendable, Equatable {
    public var ballot: Ballot
    public var accepted: [AcceptedSlot]
    public var chosen: [LogEntry]

    public init(ballot: Ballot, accepted: [AcceptedSlot], chosen: [LogEntry]) {
        self.ballot = ballot
        self.accepted = accepted
        self.chosen = chosen
    }
}

/// Phase 2a for a batch of slots, pipelined: accept these values in `ballot`. Carries
/// the leader's High-Water Mark, below which every slot is chosen.
public struct Accept: Sendable, Equatable {
    public var ballot: Ballot
    public var entries: [LogEntry]
    public var commit: LogIndex

    public init(ballot: Ballot, entries: [LogEntry], commit: LogIndex) {
        self.ballot = ballot
        self.entries = entries
        self.commit = commit
    }
}

/// Phase 2b: the acceptor accepted `slots` in `ballot` (durably, before this left).
/// `committed` is its own High-Water Mark; `behind` says it is below the leader's, so
/// that the leader sends it the chosen values it lacks (catch-up).
public struct Accepted: Sendable, Equatable {
    public var ballot: Ballot
    public var slots: [LogIndex]
    public var committed: LogIndex
    public var behind: Bool = false

    public init(ballot: Ballot, slots: [LogIndex], committed: LogIndex, behind: Bool = false) {
        self.ballot = ballot
        self.slots = slots
        self.committed = committed
        self.behind = behind
    }
}

/// A refusal: the acceptor promised `promised`, above the `ballot` it was asked for.
/// The proposer steps down and backs off.
public struct Reject: Sendable, Equatable {
    public var ballot: Ballot
    public var promised: Ballot

    public init(ballot: Ballot, promised: Ballot) {
        self.ballot = ballot
        self.promised = promised
    }
}

/// The leader's Heartbeat: it still leads in `ballot`; `commit` is its High-Water Mark;
/// `round` numbers the heartbeat so that reads can wait for a round answered by a quorum.
public struct Heartbeat: Sendable, Equatable {
    public var ballot: Ballot
    public var commit: LogIndex
    public var round: UInt64

    public init(ballot: Ballot, commit: LogIndex, round: UInt64) {
        self.ballot = ballot
        self.commit = commit
        self.round = round
    }
}

/// The answer to a heartbeat: the sender had promised nothing above `ballot` when it
/// answered round `round`; `committed` is its High-Water Mark.
public struct HeartbeatAck: Sendable, Equatable {
    public var ballot: Ballot
    public var committed: LogIndex
    public var round: UInt64

    public init(ballot: Ballot, committed: LogIndex, round: UInt64) {
        self.ballot = ballot
        self.committed = committed
        self.round = round
    }
}

/// Catch-up: chosen values a follower lacks, in slot order from just above its
/// High-Water Mark. Chosen values are facts, whatever the ballot, so any server may
/// learn them.
public struct Learn: Sendable, Equatable {
    public var ballot: Ballot
    public var entries: [LogEntry]

    public init(ballot: Ballot, entries: [LogEntry]) {
        self.ballot = ballot
        self.entries = entries
    }
}

/// Everything Multi-Paxos servers say to each other.
public enum MultiPaxosMessage: Sendable, Equatable {
    case prepare(Prepare)
    case promise(Promise)
    case accept(Accept)
    case accepted(Accepted)
    case reject(Reject)
    case heartbeat(Heartbeat)
    case heartbeatAck(HeartbeatAck)
    case learn(Learn)

    /// The ballot the message speaks in.
    public var ballot: Ballot {
        switch self {
        case .prepare(let m): m.ballot
        case .promise(let m): m.ballot
        case .accept(let m): m.ballot
        case .accepted(let m): m.ballot
        case .reject(let m): m.ballot
        case .heartbeat(let m): m.ballot
        case .heartbeatAck(let m): m.ballot
        case .learn(let m): m.ballot
        }
    }
}
