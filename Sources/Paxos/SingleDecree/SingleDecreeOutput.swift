import SynodCore

extension SingleDecree {
    /// How a node runs its proposers: quorum sizes, how long a round may take, and how
    /// long to wait before the next one.
    public struct Configuration: Sendable, Equatable {
        public var quorums: PaxosQuorums
        /// A round with no outcome by then has failed (messages lost, acceptors down).
        public var roundTimeout: TimeSpan = .milliseconds(30)
        public var backoff: Backoff = .randomized(base: .milliseconds(1), cap: .milliseconds(100))
        /// Rounds reserved by one durable write of the ballot ceiling, so that a proposer
        /// need not sync before every prepare and never reuses a ballot after a crash.
        public var roundsPerReservation: UInt64 = 4_096
        public var bugs: Set<Bug> = []
        /// A stable leader (Paxos Made Simple, §2.4): when set, only this node's
        /// proposers start rounds at once; the others wait `deferral` before each round,
        /// so they step in only when the leader seems gone.
        public var distinguishedProposer: NodeID?
        public var deferral: TimeSpan = .milliseconds(100)

        public init(quorums: PaxosQuorums, backoff: Backoff? = nil, bugs: Set<Bug> = []) {
            self.quorums = quorums
            if let backoff { self.backoff = backoff }
            self.bugs = bugs
        }
    }

    /// When a proposer tries again after a failed round.
    public enum Backoff: Sendable, Equatable {
        /// At once, with a higher ballot: two proposers can pre-empt each other forever.
        case none
        /// After a delay drawn uniformly from zero to `base` × 2^failures (at most `cap`),
        /// from the node's seeded generator: competing proposers drift apart and one wins.
        case randomized(base: TimeSpan, cap: TimeSpan)
    }

    /// What a node keeps on disk: every acceptor's state, and the highest round its
    /// proposers may use before writing a new ceiling.
    public struct DurableState: Sendable, Equatable {
        public var acceptors: [InstanceID: Acceptor]
        public var roundCeiling: UInt64

        public init(acceptors: [InstanceID: Acceptor] = [:], roundCeiling: UInt64 = 0) {
            self.acceptors = acceptors
            self.roundCeiling = roundCeiling
        }

        /// Applies a write, as the disk does once it lands.
        public mutating func apply(_ write: Write) {
            for record in write.acceptors { acceptors[record.instance] = record.acceptor }
            if let ceiling = write.roundCeiling { roundCeiling = ceiling }
        }
    }

    /// One acceptor's new state, to be made durable.
    public struct AcceptorRecord: Sendable, Equatable {
        public var instance: InstanceID
        public var acceptor: Acceptor

        public init(instance: InstanceID, acceptor: Acceptor) {
            self.instance = instance
            self.acceptor = acceptor
        }
    }

    /// Everything one input changed on the durable state, numbered; the driver performs
    /// writes in order and reports `synced(through:)` once they are durable.
    public struct Write: Sendable, Equatable {
        public var id: PersistID
        /// In instance order.
        public var acceptors: [AcceptorRecord]
        public var roundCeiling: UInt64?
    }

    /// A value this node's learner learned chosen.
    public struct Learned: Sendable, Equatable {
        public var instance: InstanceID
        public var proposal: Proposal
    }

    /// Everything one input made a node want done: start `writes`, send `messages`
    /// (none of them states an unsynced write), record `learned`, and call `tick` no
    /// later than `wakeAt`. Drivers reuse one value and clear it with `removeAll()`.
    public struct Output: Sendable {
        public var writes: [Write] = []
        public var messages: [Envelope<Message>] = []
        public var learned: [Learned] = []
        /// Rounds (ballots) this input started.
        public var ballotsStarted = 0
        public var wakeAt: Instant = .distantFuture

        public init() {}

        public mutating func removeAll() {
            if !writes.isEmpty { writes.removeAll(keepingCapacity: true) }
            if !messages.isEmpty { messages.removeAll(keepingCapacity: true) }
            if !learned.isEmpty { learned.removeAll(keepingCapacity: true) }
            ballotsStarted = 0
            wakeAt = .distantFuture
        }
    }
}
