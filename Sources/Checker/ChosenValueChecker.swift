import SynodCore

/// Multi-Paxos safety, checked from outside the cores, after every event:
///
/// - `ballot-uniqueness`: acceptors never accept two different values for one slot in
///   one ballot (a ballot has one proposer, which proposes once per slot);
/// - `paxos-agreement`: a slot is never chosen with two different values. A value is
///   chosen in a ballot once a phase-2 quorum of disks durably holds it accepted in that
///   ballot; the check sees the disks, not what the cores believe;
/// - `state-machine-safety`: every server applies, in slot order, exactly the chosen
///   value of each slot, so the committed prefix never changes and the state machines
///   agree.
///
/// Ballots are given as their packed generation (`Ballot.generation` in `Paxos`), values
/// as log entries (`entry.index` is the slot), so the checker needs only `SynodCore`.
public struct ChosenValueChecker: Sendable {
    public let members: [NodeID]
    let phase2: Int
    /// Per slot (slot `i` at `i - 1`), the values durably accepted in each ballot.
    var votes: [[Vote]] = []
    /// Per slot, the digest of the chosen value once a quorum holds it.
    var chosen: [UInt64?] = []
    var chosenEntries: [LogEntry?] = []
    var appliedIndexOf: [LogIndex]
    /// Client commands among the chosen prefix applied anywhere.
    public private(set) var committedCommands = 0
    /// The highest slot applied by any server: the committed prefix.
    public private(set) var commitIndex: LogIndex = .zero

    struct Vote: Sendable {
        var ballot: Term
        var digest: UInt64
        var acceptors: UInt64
    }

    public init(members: [NodeID], phase2: Int) {
        self.members = members.sorted()
        precondition(self.members.enumerated().allSatisfy { $0.element.rawValue == $0.offset + 1 }, "ids must be 1...n")
        precondition(members.count <= 64, "at most 64 servers")
        self.phase2 = phase2
        appliedIndexOf = Array(repeating: .zero, count: members.count)
    }

    /// `node`'s disk now durably holds `entry` accepted in `ballot`.
    public mutating func accepted(_ node: NodeID, ballot: Term, entry: LogEntry) -> CheckFailure? {
        let position = Int(entry.index.rawValue) - 1
        precondition(position >= 0, "slots start at 1")
        if votes.count <= position {
            votes.append(contentsOf: repeatElement([], count: position + 1 - votes.count))
            chosen.append(contentsOf: repeatElement(nil, count: position + 1 - chosen.count))
            chosenEntries.append(contentsOf: repeatElement(nil, count: position + 1 - chosenEntries.count))
        }
        let digest = EntryDigest.of(entry)
        let bit: UInt64 = 1 << UInt64(node.rawValue - 1)
        var count = 0
        if let i = votes[position].firstIndex(where: { $0.ballot == ballot }) {
            guard votes[position][i].digest == digest else {
                return CheckFailure(
                    invariant: "ballot-uniqueness",
                    detail:
                        "slot \(entry.index) has two values accepted in ballot generation \(ballot): \(entry) on \(node)"
                )
            }
            votes[position][i].acceptors |= bit
            count = votes[position][i].acceptors.nonzeroBitCount
        } else {
            votes[position].append(Vote(ballot: ballot, digest: digest, acceptors: bit))
            count = 1
        }
        guard count >= phase2 else { return nil }
        if let known = chosen[position] {
            if known != digest {
                return CheckFailure(
                    invariant: "paxos-agreement",
                    detail:
                        "slot \(entry.index) was chosen as \(chosenEntries[position]!) and now as \(entry) (ballot generation \(ballot))"
                )
            }
        } else {
            chosen[position] = digest
            chosenEntries[position] = entry
        }
        return nil
    }

    /// A server handed `entries` to its state machine.
    public mutating func applied(_ node: NodeID, entries: [LogEntry]) -> CheckFailure? {
        let slot = node.rawValue - 1
        for entry in entries {
            guard entry.index == appliedIndexOf[slot].advanced(by: 1) else {
                return CheckFailure(
                    invariant: "state-machine-safety",
                    detail: "\(node) applied \(entry.index) after \(appliedIndexOf[slot]) (out of order)")
            }
            let position = Int(entry.index.rawValue) - 1
            guard position < chosen.count, let digest = chosen[position] else {
                return CheckFailure(
                    invariant: "state-machine-safety",
                    detail: "\(node) applied \(entry) at slot \(entry.index), which no quorum of disks holds accepted")
            }
            guard digest == EntryDigest.of(entry) else {
                return CheckFailure(
                    invariant: "state-machine-safety",
                    detail:
                        "\(node) applied \(entry) at slot \(entry.index), but \(chosenEntries[position]!) was chosen")
            }
            appliedIndexOf[slot] = entry.index
            if entry.index > commitIndex {
                commitIndex = entry.index
                if entry.kind == .command { committedCommands += 1 }
            }
        }
        return nil
    }

    /// A crashed server's state machine starts over from nothing.
    public mutating func crashed(_ node: NodeID) {
        appliedIndexOf[node.rawValue - 1] = .zero
    }
}
