/// One record of the Replicated Log: the term of the leader that created it, its
/// position, and what it carries. Entries are immutable once created; a follower
/// replaces a conflicting suffix, it never edits an entry in place.
public struct LogEntry: Hashable, Sendable, CustomStringConvertible {
    /// What an entry carries. A new leader appends a `noop` so that it can commit
    /// entries of earlier terms (Raft §5.4.2); `command` holds client data.
    public enum Kind: UInt8, Sendable {
        case noop = 0
        case command = 1
    }

    public var term: Term
    public var index: LogIndex
    public var kind: Kind
    /// Opaque bytes for the state machine; empty for a no-op.
    public var data: [UInt8]

    public init(term: Term, index: LogIndex, kind: Kind = .command, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    public static func noop(term: Term, index: LogIndex) -> LogEntry {
        LogEntry(term: term, index: index, kind: .noop)
    }

    public var description: String {
        kind == .noop ? "\(index)@\(term):noop" : "\(index)@\(term):\(data.count)B"
    }
}
