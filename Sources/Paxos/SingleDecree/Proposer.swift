import SynodCore

extension SingleDecree {
    /// A proposer of one instance. It runs phase 1 with a phase-1 quorum of promises,
    /// adopts the value of the highest-ballot proposal any of them reports (its own value
    /// only when none reports one), then runs phase 2 until a phase-2 quorum accepts. A
    /// rejection or a silent round ends the round; the node picks when to try again.
    public struct Proposer: Sendable {
        public let instance: InstanceID
        /// The value this proposer was asked to get chosen.
        public let value: Value
        public let quorums: PaxosQuorums
        public internal(set) var phase: Phase = .idle
        /// The highest ballot seen in any reply: the next ballot must exceed it.
        public internal(set) var highestSeen: Ballot = .zero
        /// Rounds started, counting the current one.
        public internal(set) var ballotsTried = 0
        /// Rounds that failed in a row: the exponent of the back-off.
        public internal(set) var failures = 0
        /// When the current round times out, or when the next one starts.
        public internal(set) var deadline: Instant
        let ignoresAccepted: Bool

        public enum Phase: Sendable, Equatable {
            /// Waiting to start the next round at `deadline`.
            case idle
            /// Phase 1: collecting promises for `ballot`; `highestAccepted` is the proposal
            /// of the highest ballot reported so far.
            case preparing(Ballot, promisedBy: [NodeID], highestAccepted: Proposal?)
            /// Phase 2: collecting acceptances of `proposal`.
            case accepting(Proposal, acceptedBy: [NodeID])
            /// A phase-2 quorum accepted: the value is chosen.
            case chosen(Proposal)
        }

        public init(instance: InstanceID, value: Value, quorums: PaxosQuorums, startAt: Instant, bugs: Set<Bug> = []) {
            self.instance = instance
            self.value = value
            self.quorums = quorums
            self.deadline = startAt
            self.ignoresAccepted = bugs.contains(.ignoreAccepted)
        }

        /// The ballot of the round in progress, if any.
        public var ballot: Ballot? {
            switch phase {
            case .idle, .chosen: return nil
            case .preparing(let ballot, _, _): return ballot
            case .accepting(let proposal, _): return proposal.ballot
            }
        }

        /// Starts phase 1 with `ballot`, which the node made unique and higher than
        /// `highestSeen`; returns the prepare to send to every acceptor.
        public mutating func start(_ ballot: Ballot, timeout: Instant) -> Message {
            precondition(ballot > highestSeen, "a new round must use a ballot above every ballot seen")
            highestSeen = ballot
            ballotsTried += 1
            phase = .preparing(ballot, promisedBy: [], highestAccepted: nil)
            deadline = timeout
            return .prepare(instance, ballot)
        }

        /// A promise arrived. When it completes a phase-1 quorum, returns the accept to
        /// send to every acceptor: the highest-ballot accepted value reported, or our own.
        public mutating func promised(
            by acceptor: NodeID, _ ballot: Ballot, accepted: Proposal?, timeout: Instant
        ) -> Message? {
            guard case .preparing(let current, var promisedBy, var highest) = phase, current == ballot,
                !promisedBy.contains(acceptor)
            else { return nil }
            promisedBy.append(acceptor)
            if let accepted, highest.map({ accepted.ballot > $0.ballot }) ?? true { highest = accepted }
            guard promisedBy.count >= quorums.phase1 else {
                phase = .preparing(current, promisedBy: promisedBy, highestAccepted: highest)
                return nil
            }
            let adopted = ignoresAccepted ? value : (highest?.value ?? value)
            let proposal = Proposal(ballot: current, value: adopted)
            phase = .accepting(proposal, acceptedBy: [])
            deadline = timeout
            return .accept(instance, proposal)
        }

        /// An acceptance arrived. Returns true when it completes a phase-2 quorum.
        public mutating func accepted(by acceptor: NodeID, _ proposal: Proposal) -> Bool {
            guard case .accepting(let current, var acceptedBy) = phase, current == proposal,
                !acceptedBy.contains(acceptor)
            else { return false }
            acceptedBy.append(acceptor)
            if acceptedBy.count >= quorums.phase2 {
                phase = .chosen(current)
                return true
            }
            phase = .accepting(current, acceptedBy: acceptedBy)
            return false
        }

        /// A rejection arrived: an acceptor promised a higher ballot. Returns true when it
        /// dooms the round in progress; the caller then ends it with `fail(retryAt:)`.
        public mutating func rejected(_ ballot: Ballot, promised: Ballot) -> Bool {
            if promised > highestSeen { highestSeen = promised }
            return self.ballot == ballot && promised > ballot
        }

        /// Ends the round in progress (rejected or timed out); the next starts at `retryAt`.
        @discardableResult
        public mutating func fail(retryAt: Instant) -> Bool {
            switch phase {
            case .chosen: return false
            case .idle, .preparing, .accepting:
                phase = .idle
                failures += 1
                deadline = retryAt
                return true
            }
        }

        /// Another proposal was learned chosen: this proposer has nothing left to do.
        public mutating func learned(_ proposal: Proposal) {
            phase = .chosen(proposal)
        }

        public var isChosen: Bool {
            if case .chosen = phase { return true }
            return false
        }
    }
}
