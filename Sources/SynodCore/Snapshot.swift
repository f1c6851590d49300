/// A state-machine image standing in for every log entry up to `lastIndex`: what a
/// server keeps instead of a compacted prefix, and what a leader sends a follower that
/// fell behind its Low-Water Mark.
public struct Snapshot: Sendable, Equatable, CustomStringConvertible {
    /// The last log index the image includes.
    public var lastIndex: LogIndex
    /// The term of the entry at `lastIndex`, so the log can still be matched there.
    public var lastTerm: Term
    /// The state machine's own encoding of its state.
    public var data: [UInt8]

    public init(lastIndex: LogIndex, lastTerm: Term, data: [UInt8]) {
        self.lastIndex = lastIndex
        self.lastTerm = lastTerm
        self.data = data
    }

    public var description: String { "snapshot(\(lastIndex)@\(lastTerm), \(data.count)B)" }
}
