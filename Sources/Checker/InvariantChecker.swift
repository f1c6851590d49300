import SynodCore

/// A broken invariant: its name and what was seen.
public struct CheckFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var invariant: String
    public var detail: String

    public init(invariant: String, detail: String) {
        self.invariant = invariant
        self.detail = detail
    }

    public var description: String { "\(invariant): \(detail)" }
}

/// Raft's safety properties (Raft paper, Figure 3) plus durability, checked after every
/// event with work proportional to what the event changed:
///
/// - `election-safety`: at most one leader per term;
/// - `log-matching`: two logs with an entry of the same index and term are identical up to it;
/// - `leader-completeness`: a new leader holds every committed entry;
/// - `state-machine-safety`: every server applies the same entry at an index, and a
///   committed entry is never removed or changed;
/// - `durability`: every committed entry stays on a majority of disks, a disk that a
///   storage fault damaged counting as a holder (an acknowledged entry is lost only if
///   a majority lost it);
/// - `persist-before-promise` (see `PromiseCheck`): votes and acknowledgements leave a
///   server only once its disk holds what they promise.
///
/// Logs are mirrored as chains of prefix digests (`EntryDigest`), so each check is a
/// comparison of two numbers.
public struct InvariantChecker: Sendable {
    public let members: [NodeID]
    let majority: Int
    /// Prefix digests of each server's in-memory log: `memory[n][i]` covers entries 1...i+1.
    var memory: [[UInt64]]
    /// Prefix digests of what each server's disk holds durably.
    var disk: [[UInt64]]
    var diskTerms: [[UInt64]]
    /// The term of each entry of each server's in-memory log, for up-to-date comparisons.
    var terms: [[UInt64]]
    var commitIndexOf: [LogIndex]
    var appliedIndexOf: [LogIndex]
    /// The committed log as prefix digests, and each committed entry's own digest.
    var committedChain: [UInt64] = []
    var committedEntries: [UInt64] = []
    /// The term of the leader that first committed each index. Leader Completeness
    /// speaks of entries committed in earlier terms only: a stale candidate can still win
    /// an older term after a newer leader committed more.
    var commitTerms: [UInt64] = []
    /// The term of each committed entry itself.
    var committedEntryTerms: [UInt64] = []
    /// Servers whose disk may have lost entries to a storage fault (a flipped bit, a
    /// damaged tail, a refused start). Durability counts them as holders: the protocol
    /// answers for such a loss by restricting their votes until they catch up.
    var impaired: [Bool]
    /// Servers that take no part in elections (refused to start).
    var nonVoting: [Bool]
    /// For a server catching up after damage, the most up-to-date log it may have had
    /// (last term, length): it votes only for logs at least as up to date as that.
    var catchUpBounds: [(term: UInt64, length: Int)?]
    /// Every (index, term) seen in any log and the prefix digest it had.
    var seen: [IndexAndTerm: UInt64] = [:]
    var leaders: [Term: NodeID] = [:]
    /// Client commands among the committed entries.
    public private(set) var committedCommands = 0

    struct IndexAndTerm: Hashable, Sendable {
        var index: UInt64
        var term: UInt64
    }

    public init(members: [NodeID]) {
        self.members = members.sorted()
        precondition(self.members.enumerated().allSatisfy { $0.element.rawValue == $0.offset + 1 }, "ids must be 1...n")
        majority = members.count / 2 + 1
        memory = Array(repeating: [], count: members.count)
        disk = Array(repeating: [], count: members.count)
        terms = Array(repeating: [], count: members.count)
        diskTerms = Array(repeating: [], count: members.count)
        commitIndexOf = Array(repeating: .zero, count: members.count)
        appliedIndexOf = Array(repeating: .zero, count: members.count)
        impaired = Array(repeating: false, count: members.count)
        nonVoting = Array(repeating: false, count: members.count)
        catchUpBounds = Array(repeating: nil, count: members.count)
    }

    /// The highest index known committed.
    public var commitIndex: LogIndex { LogIndex(UInt64(committedChain.count)) }

    // MARK: In-memory logs

    /// A server changed its in-memory log: dropped entries from `truncateFrom` (if any),
    /// then appended `entries`.
    public mutating func logChanged(
        _ node: NodeID, truncateFrom: LogIndex?, entries: [LogEntry]
    ) -> CheckFailure? {
        let slot = node.rawValue - 1
        let cut = truncateFrom ?? entries.first?.index ?? LogIndex(UInt64(memory[slot].count) + 1)
        if cut <= commitIndexOf[slot] {
            return CheckFailure(
                invariant: "state-machine-safety",
                detail:
                    "\(node) removed committed entries from index \(cut) (its commit index is \(commitIndexOf[slot]))")
        }
        let keep = Int(cut.rawValue) - 1
        if keep < memory[slot].count {
            memory[slot].removeSubrange(keep...)
            terms[slot].removeSubrange(keep...)
        }
        for entry in entries {
            guard Int(entry.index.rawValue) == memory[slot].count + 1 else {
                return CheckFailure(invariant: "log-matching", detail: "\(node) appended \(entry) with a gap")
            }
            let previous = memory[slot].last ?? EntryDigest.empty
            let digest = EntryDigest.chain(previous, EntryDigest.of(entry))
            memory[slot].append(digest)
            terms[slot].append(entry.term.rawValue)
            let key = IndexAndTerm(index: entry.index.rawValue, term: entry.term.rawValue)
            if let known = seen[key] {
                if known != digest {
                    return CheckFailure(
                        invariant: "log-matching",
                        detail:
                            "\(node) holds entry \(entry.index)@\(entry.term) with a log prefix that differs from another server's"
                    )
                }
            } else {
                seen[key] = digest
            }
        }
        return nil
    }

    /// A server restarted from its disk: its in-memory log is what the disk kept, and
    /// its commit and applied indexes start over. The disk is already mirrored, so this
    /// copies digests rather than recomputing them.
    /// Returns a failure when the restarted server lacks a committed entry yet could
    /// help elect a leader without it (its disk lost the entry and it votes anyway).
    @discardableResult
    public mutating func restarted(_ node: NodeID, from snapshotIndex: LogIndex = .zero) -> CheckFailure? {
        let slot = node.rawValue - 1
        memory[slot] = disk[slot]
        terms[slot] = diskTerms[slot]
        commitIndexOf[slot] = snapshotIndex
        appliedIndexOf[slot] = snapshotIndex
        let top = committedChain.count
        if top > 0, memory[slot].count < top || memory[slot][top - 1] != committedChain[top - 1] {
            return checkFutureLeaders()
        }
        return nil
    }

    // MARK: Snapshots and storage faults

    /// A server installed a leader's snapshot: its log up to the snapshot is now the
    /// committed log there, and its state machine stands at the snapshot's index.
    public mutating func installed(_ node: NodeID, _ snapshot: Snapshot) -> CheckFailure? {
        let slot = node.rawValue - 1
        if let failure = checkSnapshot(snapshot, on: node) { return failure }
        let count = Int(snapshot.lastIndex.rawValue)
        if memory[slot].count < count || memory[slot][count - 1] != committedChain[count - 1] {
            memory[slot] = Array(committedChain[..<count])
            terms[slot] = Array(committedEntryTerms[..<count])
        }
        appliedIndexOf[slot] = snapshot.lastIndex
        commitIndexOf[slot] = max(commitIndexOf[slot], snapshot.lastIndex)
        return nil
    }

    /// A snapshot reached a server's disk; when the disk's log did not match it, the
    /// log was dropped and the disk holds the committed log up to the snapshot.
    public mutating func diskSnapshot(_ node: NodeID, _ snapshot: Snapshot, discardedLog: Bool) -> CheckFailure? {
        let slot = node.rawValue - 1
        if let failure = checkSnapshot(snapshot, on: node) { return failure }
        guard discardedLog else { return nil }
        let count = Int(snapshot.lastIndex.rawValue)
        disk[slot] = Array(committedChain[..<count])
        diskTerms[slot] = Array(committedEntryTerms[..<count])
        return nil
    }

    /// A snapshot stands for committed entries only, and for the right ones.
    func checkSnapshot(_ snapshot: Snapshot, on node: NodeID) -> CheckFailure? {
        let count = Int(snapshot.lastIndex.rawValue)
        guard count <= committedChain.count, count > 0 else {
            return count == 0
                ? nil
                : CheckFailure(
                    invariant: "state-machine-safety",
                    detail: "\(node) holds \(snapshot), past the committed log (\(committedChain.count))")
        }
        if committedEntryTerms[count - 1] != snapshot.lastTerm.rawValue {
            return CheckFailure(
                invariant: "state-machine-safety",
                detail:
                    "\(node) holds \(snapshot), but the committed entry there has term \(committedEntryTerms[count - 1])"
            )
        }
        return nil
    }

    /// A storage fault struck `node`'s disk (a flipped bit, a refused start): from now
    /// on it counts as holding every committed entry, since the protocol answers for the
    /// loss (see `impaired`). Recovery's verdict reaches the mirror at restart.
    public mutating func diskDamaged(_ node: NodeID) {
        impaired[node.rawValue - 1] = true
    }

    /// Whether `node` takes part in elections: false when it refused to start; true
    /// again, with no restriction, once it has caught up after damage.
    public mutating func setVoting(_ node: NodeID, _ voting: Bool) {
        nonVoting[node.rawValue - 1] = !voting
        if voting { catchUpBounds[node.rawValue - 1] = nil }
    }

    /// `node` restarted with a damaged tail that may have held entries up to
    /// `possibleEnd`, in terms up to `term`: until it catches up it votes only for logs at
    /// least as up to date as that (and not for itself unless its own log is).
    public mutating func catchingUp(_ node: NodeID, term: Term, possibleEnd: LogIndex) {
        catchUpBounds[node.rawValue - 1] = (term.rawValue, Int(possibleEnd.rawValue))
    }

    /// Whether `node` votes without restriction (false while it catches up or refused).
    public func mayVote(_ node: NodeID) -> Bool {
        !nonVoting[node.rawValue - 1] && catchUpBounds[node.rawValue - 1] == nil
    }

    // MARK: Roles and commitment

    public mutating func becameLeader(_ node: NodeID, term: Term) -> CheckFailure? {
        if let other = leaders[term], other != node {
            return CheckFailure(invariant: "election-safety", detail: "\(other) and \(node) both lead term \(term)")
        }
        leaders[term] = node
        let slot = node.rawValue - 1
        var committed = committedChain.count
        while committed > 0 && commitTerms[committed - 1] >= term.rawValue { committed -= 1 }
        if committed > 0, memory[slot].count < committed || memory[slot][committed - 1] != committedChain[committed - 1]
        {
            return CheckFailure(
                invariant: "leader-completeness",
                detail:
                    "\(node) leads term \(term) without every committed entry (committed through \(committed), its log ends at \(memory[slot].count))"
            )
        }
        return nil
    }

    /// A server's commit index (High-Water Mark) moved to `index`; `entries` lets the
    /// checker count client commands among newly committed entries.
    public mutating func commitAdvanced(
        _ node: NodeID, term: Term, to index: LogIndex, log entryAt: (LogIndex) -> LogEntry?
    ) -> CheckFailure? {
        let slot = node.rawValue - 1
        let target = Int(index.rawValue)
        commitIndexOf[slot] = index
        guard target > 0 else { return nil }
        guard memory[slot].count >= target else {
            return CheckFailure(
                invariant: "state-machine-safety",
                detail: "\(node) commits through \(index) but its log ends at \(memory[slot].count)")
        }
        let overlap = min(target, committedChain.count)
        if overlap > 0, memory[slot][overlap - 1] != committedChain[overlap - 1] {
            return CheckFailure(
                invariant: "state-machine-safety",
                detail:
                    "\(node) committed through \(index) a log that differs from the committed log at or before \(overlap)"
            )
        }
        if target > committedChain.count {
            for i in committedChain.count..<target {
                committedChain.append(memory[slot][i])
                let entry = entryAt(LogIndex(UInt64(i + 1)))!
                committedEntries.append(EntryDigest.of(entry))
                committedEntryTerms.append(entry.term.rawValue)
                commitTerms.append(term.rawValue)
                if entry.kind == .command { committedCommands += 1 }
            }
            return checkDurability() ?? checkFutureLeaders()
        }
        return nil
    }

    /// A server handed `entries` to its state machine.
    public mutating func applied(_ node: NodeID, entries: [LogEntry]) -> CheckFailure? {
        let slot = node.rawValue - 1
        for entry in entries {
            let i = Int(entry.index.rawValue)
            guard i == Int(appliedIndexOf[slot].rawValue) + 1 else {
                return CheckFailure(
                    invariant: "state-machine-safety",
                    detail: "\(node) applied \(entry.index) after \(appliedIndexOf[slot]) (out of order)")
            }
            guard i <= committedEntries.count, committedEntries[i - 1] == EntryDigest.of(entry) else {
                return CheckFailure(
                    invariant: "state-machine-safety",
                    detail: "\(node) applied \(entry) at \(entry.index), which is not the committed entry there")
            }
            appliedIndexOf[slot] = entry.index
        }
        return nil
    }

    // MARK: Disks

    /// Writes up to some point became durable on `node`'s disk, which now holds `log`
    /// from index `from` on (everything before it unchanged).
    public mutating func diskChanged(_ node: NodeID, truncateFrom: LogIndex?, entries: [LogEntry]) -> CheckFailure? {
        let slot = node.rawValue - 1
        let cut = truncateFrom ?? entries.first?.index ?? LogIndex(UInt64(disk[slot].count) + 1)
        let keep = Int(cut.rawValue) - 1
        var truncated = false
        if keep < disk[slot].count {
            disk[slot].removeSubrange(keep...)
            diskTerms[slot].removeSubrange(keep...)
            truncated = true
        }
        for entry in entries {
            let previous = disk[slot].last ?? EntryDigest.empty
            disk[slot].append(EntryDigest.chain(previous, EntryDigest.of(entry)))
            diskTerms[slot].append(entry.term.rawValue)
        }
        return truncated && keep < committedChain.count ? checkDurability() : nil
    }

    /// Every committed entry is on a majority of disks. Prefix digests make the highest
    /// committed index the only one to check: a disk holding it holds all before it.
    func checkDurability() -> CheckFailure? {
        let top = committedChain.count
        guard top > 0 else { return nil }
        var holders = 0
        for (slot, chain) in disk.enumerated()
        where impaired[slot] || (chain.count >= top && chain[top - 1] == committedChain[top - 1]) {
            holders += 1
        }
        if holders < majority {
            return CheckFailure(
                invariant: "durability",
                detail: "committed entry \(top) is durable on \(holders) disks, fewer than a majority (\(majority))")
        }
        return nil
    }

    /// Commitment means every future leader holds the entry (§5.4.2). A server without
    /// the newest committed entry whose log is at least as up to date as a majority's
    /// could still win an election and overwrite it: the Figure 8 situation, caught at
    /// the moment of the unsafe commit instead of when the entry is finally lost.
    func checkFutureLeaders() -> CheckFailure? {
        let top = committedChain.count
        for (slot, chain) in memory.enumerated()
        where !nonVoting[slot] && (chain.count < top || chain[top - 1] != committedChain[top - 1]) {
            let mine = (terms[slot].last ?? 0, terms[slot].count)
            var voters = 0
            for other in terms.indices where !nonVoting[other] {
                // A server catching up also asks for the log it may have had before the damage.
                var theirs = (terms[other].last ?? 0, terms[other].count)
                if let bound = catchUpBounds[other],
                    bound.term > theirs.0 || (bound.term == theirs.0 && bound.length > theirs.1)
                {
                    theirs = bound
                }
                if mine.0 > theirs.0 || (mine.0 == theirs.0 && mine.1 >= theirs.1) { voters += 1 }
            }
            if voters >= majority {
                return CheckFailure(
                    invariant: "leader-completeness",
                    detail:
                        "entry \(top) was committed, but \(members[slot]) lacks it and its log (last term \(mine.0), length \(mine.1)) is as up to date as a majority's, so it can still be elected"
                )
            }
        }
        return nil
    }

    /// A crashed server's log is what its disk kept; it is what the server would
    /// campaign with after a restart.
    public mutating func crashed(_ node: NodeID) {
        let slot = node.rawValue - 1
        memory[slot] = disk[slot]
        terms[slot] = diskTerms[slot]
        commitIndexOf[slot] = .zero
        appliedIndexOf[slot] = .zero
    }
}
