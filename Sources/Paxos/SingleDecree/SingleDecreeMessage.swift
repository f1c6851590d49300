import SynodCore

extension SingleDecree {
    /// The messages of the Synod protocol, each tagged with its instance.
    public enum Message: Sendable, Equatable, CustomStringConvertible {
        /// Phase 1a: a proposer asks acceptors not to accept anything below `ballot`.
        case prepare(InstanceID, Ballot)
        /// Phase 1b: the acceptor promises `ballot` and reports what it accepted last, if
        /// anything. Released only once the promise is durable.
        case promise(InstanceID, Ballot, accepted: Proposal?)
        /// Phase 2a: a proposer asks acceptors to accept a value in its ballot.
        case accept(InstanceID, Proposal)
        /// Phase 2b: the acceptor accepted the proposal; sent to every learner (the
        /// proposer among them). Released only once the acceptance is durable.
        case accepted(InstanceID, Proposal)
        /// The acceptor has promised `promised`, above `ballot`: the proposer must retry
        /// higher. Promises nothing, so it goes at once.
        case rejected(InstanceID, Ballot, promised: Ballot)

        public var instance: InstanceID {
            switch self {
            case .prepare(let instance, _), .promise(let instance, _, _), .accept(let instance, _),
                .accepted(let instance, _), .rejected(let instance, _, _):
                return instance
            }
        }

        /// Whether the message states durable acceptor state, and so must wait for its sync.
        public var promisesDurableState: Bool {
            switch self {
            case .promise, .accepted: return true
            case .prepare, .accept, .rejected: return false
            }
        }

        public var description: String {
            switch self {
            case .prepare(let instance, let ballot): return "prepare(\(instance), \(ballot))"
            case .promise(let instance, let ballot, let accepted):
                return "promise(\(instance), \(ballot), accepted: \(accepted.map { "\($0)" } ?? "none"))"
            case .accept(let instance, let proposal): return "accept(\(instance), \(proposal))"
            case .accepted(let instance, let proposal): return "accepted(\(instance), \(proposal))"
            case .rejected(let instance, let ballot, let promised):
                return "rejected(\(instance), \(ballot), promised: \(promised))"
            }
        }
    }
}
