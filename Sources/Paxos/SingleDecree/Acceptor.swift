import SynodCore

extension SingleDecree {
    /// An acceptor of one instance: the highest ballot it promised and the proposal it
    /// accepted last. This is exactly the state it must keep on disk; a reply that states
    /// it may leave only after it is durable (`Node` holds such replies until the sync).
    public struct Acceptor: Hashable, Sendable {
        /// No proposal below this ballot will be accepted.
        public internal(set) var promised: Ballot
        /// The last proposal accepted, if any.
        public internal(set) var accepted: Proposal?

        public init(promised: Ballot = .zero, accepted: Proposal? = nil) {
            self.promised = promised
            self.accepted = accepted
        }

        /// What an acceptor answers, and whether its durable state changed.
        public struct Answer: Sendable, Equatable {
            public var reply: Message
            public var changed: Bool

            public init(reply: Message, changed: Bool) {
                self.reply = reply
                self.changed = changed
            }
        }

        /// Phase 1b: promise `ballot` unless a higher one was promised. Promising the same
        /// ballot again (a duplicated prepare) is harmless and repeats the answer.
        public mutating func prepare(_ instance: InstanceID, _ ballot: Ballot) -> Answer {
            guard ballot >= promised else {
                return Answer(reply: .rejected(instance, ballot, promised: promised), changed: false)
            }
            let changed = ballot != promised
            promised = ballot
            return Answer(reply: .promise(instance, ballot, accepted: accepted), changed: changed)
        }

        /// Phase 2b: accept the proposal unless a higher ballot was promised.
        public mutating func accept(_ instance: InstanceID, _ proposal: Proposal) -> Answer {
            guard proposal.ballot >= promised else {
                return Answer(reply: .rejected(instance, proposal.ballot, promised: promised), changed: false)
            }
            let changed = proposal.ballot != promised || accepted != proposal
            promised = proposal.ballot
            accepted = proposal
            return Answer(reply: .accepted(instance, proposal), changed: changed)
        }
    }
}
