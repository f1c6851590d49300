import SynodCore

/// Single-decree Paxos, the Synod protocol: a set of acceptors agrees on one value per
/// instance. The types live in this namespace (`SingleDecree.Acceptor`, …) so that
/// Multi-Paxos can use the book's plain names for its own roles.
public enum SingleDecree {
    /// Which single-decree instance a message or a piece of state belongs to. One node
    /// hosts many independent instances, each agreeing on its own value.
    public struct InstanceID: Hashable, Comparable, Sendable, CustomStringConvertible {
        public var rawValue: UInt64

        public init(_ rawValue: UInt64) { self.rawValue = rawValue }

        public static func < (lhs: InstanceID, rhs: InstanceID) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { "i\(rawValue)" }
    }

    /// A value a proposer proposes; opaque to the protocol.
    public struct Value: Hashable, Comparable, Sendable, CustomStringConvertible {
        public var rawValue: UInt64

        public init(_ rawValue: UInt64) { self.rawValue = rawValue }

        public static func < (lhs: Value, rhs: Value) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { "v\(rawValue)" }
    }

    /// A value paired with the ballot it was proposed in: what an acceptor accepts and
    /// reports back in its promises.
    public struct Proposal: Hashable, Sendable, CustomStringConvertible {
        public var ballot: Ballot
        public var value: Value

        public init(ballot: Ballot, value: Value) {
            self.ballot = ballot
            self.value = value
        }

        public var description: String { "\(value)@\(ballot)" }
    }

    /// Deliberately broken variants, so the simulator's checkers can be seen to catch them.
    public enum Bug: String, Sendable, CaseIterable, Hashable {
        /// An acceptor sends its promise or accepted reply before the state it promises is
        /// on disk: a crash forgets a promise already made, and a second value can be chosen.
        case replyBeforePersist = "reply-before-persist"
        /// A proposer ignores the values reported in promises and proposes its own: it can
        /// overwrite a value that was already chosen.
        case ignoreAccepted = "ignore-accepted"
    }
}
