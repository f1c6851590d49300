import SynodCore

extension SingleDecree {
    /// One node of the Synod protocol: proposer, acceptor and learner of many instances,
    /// as a pure value (no clock, disk, socket or system randomness). Inputs carry the
    /// current instant and fill an `Output`, as `RaftNode` does.
    ///
    /// ```swift
    /// var node = SingleDecree.Node(id: 1, members: [1, 2, 3], configuration: .init(quorums: PaxosQuorums(nodes: 3)),
    ///                              random: SeededGenerator(seed: 7))
    /// var out = SingleDecree.Output()
    /// node.propose(SingleDecree.Value(42), for: SingleDecree.InstanceID(1), at: .zero, into: &out)
    /// // perform out.writes, send out.messages; then node.synced(through: id, at: now, into: &out)
    /// ```
    ///
    /// Persist before you promise: a promise or an accepted reply appears in `messages`
    /// only once the write that holds it has been reported synced (unless the
    /// `replyBeforePersist` bug is on); a prepare waits for the ballot ceiling it uses.
    public struct Node: Sendable {
        public let id: NodeID
        public let members: [NodeID]
        public let configuration: Configuration

        var acceptors: [InstanceID: Acceptor]
        var proposers: [InstanceID: Proposer] = [:]
        /// The proposers' instances in increasing order: ticks visit them in this order.
        var proposerOrder: [InstanceID] = []
        var learners: [InstanceID: Learner] = [:]
        /// The highest round a proposer of this node used, and the highest it may use
        /// before reserving more (durably).
        var round: UInt64
        var roundCeiling: UInt64
        var random: SeededGenerator
        var persistence = ReplyHold()

        /// A node restarted from what its disk holds (nothing, for a fresh node).
        public init(
            id: NodeID, members: [NodeID], configuration: Configuration, durable: DurableState = DurableState(),
            random: SeededGenerator
        ) {
            precondition(members.contains(id), "a node must be a member of its own cluster")
            precondition(members.count == configuration.quorums.nodes, "quorum sizes are for another cluster size")
            self.id = id
            self.members = members.sorted()
            self.configuration = configuration
            self.acceptors = durable.acceptors
            self.round = durable.roundCeiling
            self.roundCeiling = durable.roundCeiling
            self.random = random
        }

        /// This node's acceptor state of `instance`, as it is in memory.
        public func acceptor(_ instance: InstanceID) -> Acceptor { acceptors[instance] ?? Acceptor() }

        /// This node's proposer of `instance`, if it was asked to propose there.
        public func proposer(_ instance: InstanceID) -> Proposer? { proposers[instance] }

        /// What this node's learner learned for `instance`.
        public func learned(_ instance: InstanceID) -> Proposal? { learners[instance]?.learned }

        /// Messages waiting for a sync before they may be sent.
        public var heldMessageCount: Int { persistence.held.count }

        // MARK: Inputs

        /// A client asks this node to get `value` chosen in `instance`. Proposing again
        /// where this node already proposes, or already learned the outcome, does nothing.
        public mutating func propose(_ value: Value, for instance: InstanceID, at now: Instant, into out: inout Output)
        {
            if proposers[instance] == nil, learned(instance) == nil {
                proposers[instance] = Proposer(
                    instance: instance, value: value, quorums: configuration.quorums, startAt: now + deferral,
                    bugs: configuration.bugs)
                proposerOrder.insert(instance, at: proposerOrder.firstIndex { $0 > instance } ?? proposerOrder.count)
                advance(instance, at: now, into: &out)
            }
            finish(into: &out)
        }

        /// Time has passed: rounds that timed out fail, and retries that are due start.
        public mutating func tick(at now: Instant, into out: inout Output) {
            for instance in proposerOrder { advance(instance, at: now, into: &out) }
            finish(into: &out)
        }

        /// The driver made every write up to `id` durable: release the replies they held.
        public mutating func synced(through id: PersistID, at now: Instant, into out: inout Output) {
            out.messages += persistence.markSynced(through: id)
            finish(into: &out)
        }

        public mutating func receive(_ envelope: Envelope<Message>, at now: Instant, into out: inout Output) {
            precondition(envelope.to == id, "message delivered to the wrong node")
            let from = envelope.from
            switch envelope.message {
            case .prepare(let instance, let ballot):
                var acceptor = self.acceptor(instance)
                let answer = acceptor.prepare(instance, ballot)
                reply(answer, acceptor, instance, to: [from])
            case .accept(let instance, let proposal):
                var acceptor = self.acceptor(instance)
                let answer = acceptor.accept(instance, proposal)
                if case .accepted = answer.reply {
                    reply(answer, acceptor, instance, to: members)
                } else {
                    reply(answer, acceptor, instance, to: [from])
                }
            case .promise(let instance, let ballot, let accepted):
                guard var proposer = proposers[instance] else { break }
                let accept = proposer.promised(
                    by: from, ballot, accepted: accepted, timeout: now + configuration.roundTimeout)
                proposers[instance] = proposer
                if let accept { broadcast(accept) }
            case .accepted(let instance, let proposal):
                _ = proposers[instance]?.accepted(by: from, proposal)
                var learner = learners[instance] ?? Learner(quorums: configuration.quorums)
                if let chosen = learner.accepted(by: from, proposal) {
                    out.learned.append(Learned(instance: instance, proposal: chosen))
                    proposers[instance]?.learned(chosen)
                }
                learners[instance] = learner
            case .rejected(let instance, let ballot, let promised):
                guard var proposer = proposers[instance] else { break }
                if proposer.rejected(ballot, promised: promised) {
                    proposer.fail(retryAt: now + backoff(after: proposer.failures + 1))
                    proposers[instance] = proposer
                    advance(instance, at: now, into: &out)
                } else {
                    proposers[instance] = proposer
                }
            }
            finish(into: &out)
        }

        // MARK: Proposing

        /// Fails a timed-out round and starts the next round when it is due.
        mutating func advance(_ instance: InstanceID, at now: Instant, into out: inout Output) {
            guard var proposer = proposers[instance], !proposer.isChosen, proposer.deadline <= now else { return }
            if proposer.ballot != nil {
                proposer.fail(retryAt: now + backoff(after: proposer.failures + 1))
            }
            if proposer.deadline <= now {
                round = max(round, proposer.highestSeen.round) + 1
                if round > roundCeiling {
                    roundCeiling = round + configuration.roundsPerReservation - 1
                    persistence.ceilingChanged = true
                }
                let prepare = proposer.start(Ballot(round: round, node: id), timeout: now + configuration.roundTimeout)
                out.ballotsStarted += 1
                persistence.queue(prepare, to: members, from: id, dependsOn: .ceiling)
            }
            proposers[instance] = proposer
        }

        mutating func broadcast(_ message: Message) {
            persistence.queue(message, to: members, from: id, dependsOn: nil)
        }

        /// How long a proposer of this node waits before each round: nothing, unless
        /// another node is the distinguished proposer.
        var deferral: TimeSpan {
            guard let leader = configuration.distinguishedProposer, leader != id else { return .zero }
            return configuration.deferral
        }

        /// How long to wait before the next round, after `failures` failed rounds.
        mutating func backoff(after failures: Int) -> TimeSpan {
            switch configuration.backoff {
            case .none: return deferral
            case .randomized(let base, let cap):
                let limit = min(cap.nanoseconds, base.nanoseconds << Int64(min(max(failures - 1, 0), 20)))
                return deferral + random.span(.zero, TimeSpan(nanoseconds: limit))
            }
        }

        // MARK: Accepting

        /// Stores the acceptor's new state and queues its answer: a promise or an
        /// acceptance waits for the write that holds it, a rejection goes at once.
        mutating func reply(_ answer: Acceptor.Answer, _ acceptor: Acceptor, _ instance: InstanceID, to: [NodeID]) {
            if answer.changed {
                acceptors[instance] = acceptor
                persistence.changed(instance)
            }
            let durable = answer.reply.promisesDurableState && !configuration.bugs.contains(.replyBeforePersist)
            persistence.queue(answer.reply, to: to, from: id, dependsOn: durable ? .acceptor(instance) : nil)
        }

        /// Issues the write of this input's changes, sends what may go, and asks for a tick.
        mutating func finish(into out: inout Output) {
            if let write = persistence.issue(acceptors: acceptors, roundCeiling: roundCeiling) {
                out.writes.append(write)
            }
            out.messages += persistence.releaseQueued()
            var wake = Instant.distantFuture
            for instance in proposerOrder {
                if let proposer = proposers[instance], !proposer.isChosen, proposer.deadline < wake {
                    wake = proposer.deadline
                }
            }
            out.wakeAt = wake
        }
    }
}
