/// Replicated state machine: what a consensus log drives. Every replica applies the same
/// committed commands in the same order, so `apply` must be deterministic (no clocks, no
/// randomness, no hash order in its results) for the replicas to agree.
///
/// ```swift
/// struct Counter: StateMachine, Codable {
///     var total = 0
///     mutating func apply(_ amount: Int, at index: LogIndex) -> Int { total += amount; return total }
/// }
/// ```
///
/// Commands and replies cross the network and the log as bytes; the runtime supplies
/// JSON encodings for `Codable` types, and a state machine on a hot path writes its own.
public protocol StateMachine: Sendable {
    associatedtype Command: Sendable
    associatedtype Reply: Sendable

    /// The empty state, before any command.
    init()

    /// Applies the command committed at `index` and returns the reply for its proposer.
    mutating func apply(_ command: Command, at index: LogIndex) -> Reply

    /// Applies the command committed at `index`, stamped `time` (nanoseconds of the
    /// proposing leader's wall clock) when the leader put it in the log: the one clock
    /// every replica sees alike, for a machine that expires things. By default the stamp
    /// is ignored.
    mutating func apply(_ command: Command, at index: LogIndex, stampedAt time: Int64) -> Reply

    /// The whole state as bytes, for log compaction and for catching up a replica that
    /// is too far behind for the log (InstallSnapshot).
    func snapshot() -> [UInt8]

    /// The state `snapshot()` wrote; throws when the bytes do not decode.
    init(snapshot: [UInt8]) throws

    static func encode(command: Command) -> [UInt8]
    static func decode(command: [UInt8]) throws -> Command
    static func encode(reply: Reply) -> [UInt8]
    static func decode(reply: [UInt8]) throws -> Reply
}

extension StateMachine {
    public mutating func apply(_ command: Command, at index: LogIndex, stampedAt time: Int64) -> Reply {
        apply(command, at: index)
    }
}
