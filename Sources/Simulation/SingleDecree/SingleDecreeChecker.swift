import Paxos
import SynodCore

/// The safety of the Synod protocol, checked on what acceptors said rather than on what
/// learners happened to hear: a value is chosen the moment a phase-2 quorum of acceptors
/// has sent `accepted` for it in one ballot, even if every copy is then lost.
///
/// - agreement: at most one value is chosen per instance, and every learner learns it;
/// - validity: a chosen value is one a proposer of that instance proposed;
/// - one value per ballot: no ballot carries two values (ballots are never reused);
/// - persist before reply: a crash never takes back a promise or an acceptance the node
///   had already sent (checked by `forgottenReply` when a node crashes).
struct SingleDecreeChecker: Sendable {
    let quorums: PaxosQuorums
    /// Per node (slot): per instance, the acceptor state its sent replies stated.
    var replied: [[SingleDecree.InstanceID: SingleDecree.Acceptor]]
    var proposed: [SingleDecree.InstanceID: [SingleDecree.Value]] = [:]
    /// Per instance and ballot: its value and the acceptors that sent `accepted` for it.
    var acceptances: [SingleDecree.InstanceID: [Ballot: (value: SingleDecree.Value, acceptors: [NodeID])]] = [:]
    var chosen: [SingleDecree.InstanceID: (proposal: SingleDecree.Proposal, by: [NodeID], at: Instant)] = [:]

    init(quorums: PaxosQuorums) {
        self.quorums = quorums
        self.replied = Array(repeating: [:], count: quorums.nodes)
    }

    mutating func proposed(_ value: SingleDecree.Value, in instance: SingleDecree.InstanceID) {
        if !(proposed[instance]?.contains(value) ?? false) { proposed[instance, default: []].append(value) }
    }

    /// A message left a node. Returns the broken invariant and what was seen, if any.
    mutating func sent(_ envelope: Envelope<SingleDecree.Message>, at now: Instant) -> (String, String)? {
        let slot = envelope.from.rawValue - 1
        switch envelope.message {
        case .promise(let instance, let ballot, let accepted):
            var stated = replied[slot][instance] ?? SingleDecree.Acceptor()
            stated = SingleDecree.Acceptor(
                promised: max(stated.promised, ballot), accepted: later(stated.accepted, accepted))
            replied[slot][instance] = stated
        case .accepted(let instance, let proposal):
            let stated = replied[slot][instance] ?? SingleDecree.Acceptor()
            replied[slot][instance] = SingleDecree.Acceptor(
                promised: max(stated.promised, proposal.ballot), accepted: later(stated.accepted, proposal))
        case .prepare, .accept, .rejected:
            break
        }
        switch envelope.message {
        case .accept(let instance, let proposal):
            if let failure = checkBallot(instance, proposal) { return failure }
            if acceptances[instance]?[proposal.ballot] == nil {
                acceptances[instance, default: [:]][proposal.ballot] = (proposal.value, [])
            }
            return nil
        case .accepted(let instance, let proposal):
            if let failure = checkBallot(instance, proposal) { return failure }
            var acceptors = acceptances[instance]?[proposal.ballot]?.acceptors ?? []
            guard !acceptors.contains(envelope.from) else { return nil }
            acceptors.append(envelope.from)
            acceptances[instance, default: [:]][proposal.ballot] = (proposal.value, acceptors)
            guard acceptors.count >= quorums.phase2 else { return nil }
            if let first = chosen[instance] {
                guard first.proposal.value != proposal.value else { return nil }
                return (
                    "agreement",
                    "\(instance): \(first.proposal) was chosen at t=\(first.at) (accepted by \(names(first.by))), "
                        + "now \(proposal) is chosen too (accepted by \(names(acceptors)))"
                )
            }
            guard proposed[instance]?.contains(proposal.value) ?? false else {
                return ("validity", "\(instance): \(proposal) was chosen but never proposed")
            }
            chosen[instance] = (proposal, acceptors, now)
            return nil
        case .prepare, .promise, .rejected:
            return nil
        }
    }

    /// A learner learned `proposal`: it must be the value chosen.
    func learned(_ proposal: SingleDecree.Proposal, in instance: SingleDecree.InstanceID, by node: NodeID) -> (
        String, String
    )? {
        guard let first = chosen[instance] else {
            return ("agreement", "\(node) learned \(proposal) in \(instance), which no phase-2 quorum accepted")
        }
        guard first.proposal.value == proposal.value else {
            return ("agreement", "\(node) learned \(proposal) in \(instance), but \(first.proposal) was chosen")
        }
        return nil
    }

    /// What `node`'s disk lost of the replies it sent, now that it crashed with `durable`
    /// on disk; nil when the disk still holds every promise and acceptance it stated.
    func forgottenReply(of node: NodeID, durable: SingleDecree.DurableState) -> String? {
        for (instance, stated) in replied[node.rawValue - 1].sorted(by: { $0.key < $1.key }) {
            let kept = durable.acceptors[instance] ?? SingleDecree.Acceptor()
            if kept.promised < stated.promised {
                return "\(node) crashed and forgot its promise of \(stated.promised) in \(instance), already sent "
                    + "(its disk holds \(kept.promised))"
            }
            if let accepted = stated.accepted, (kept.accepted?.ballot ?? .zero) < accepted.ballot {
                return "\(node) crashed and forgot accepting \(accepted) in \(instance), already sent "
                    + "(its disk holds \(kept.accepted.map { "\($0)" } ?? "nothing"))"
            }
        }
        return nil
    }

    func later(_ a: SingleDecree.Proposal?, _ b: SingleDecree.Proposal?) -> SingleDecree.Proposal? {
        guard let a else { return b }
        guard let b else { return a }
        return b.ballot > a.ballot ? b : a
    }

    func checkBallot(_ instance: SingleDecree.InstanceID, _ proposal: SingleDecree.Proposal) -> (String, String)? {
        if let seen = acceptances[instance]?[proposal.ballot], seen.value != proposal.value {
            return (
                "one-value-per-ballot",
                "\(instance): ballot \(proposal.ballot) carries \(seen.value) and \(proposal.value)"
            )
        }
        return nil
    }

    func names(_ nodes: [NodeID]) -> String { nodes.sorted().map(\.description).joined(separator: ", ") }
}
