import Raft
import Replication
import Storage

/// How large each unit of a write may be, each limit inside the next, so that whatever
/// the client port takes fits every later stage: a value in a command, a command in a
/// Request Batch (the data of one log entry), an entry in an AppendEntries, an
/// AppendEntries in a peer frame, and an entry in a WAL record. A request over the value
/// or command limit is refused at the port (`-ERR request refused: ... limit ...`, the
/// connection stays open); everything after the port is split to fit, never refused.
///
/// The defaults follow etcd (1.5 MiB per request). A megabyte costs each server a few
/// milliseconds of copying, encoding and checksumming, so a 2 MiB batch and a 4 MiB
/// AppendEntries keep each step of the event loop far inside the 100 ms election timeout
/// when several clients write at the limit at once (docs/protocol.md has the measurement).
///
/// ```swift
/// var configuration = ServerConfiguration(id: 1, peers: peers, dataDirectory: "data")
/// configuration.limits.value = 256 << 10
/// try configuration.limits.check()
/// ```
public struct SizeLimits: Sendable, Equatable {
    /// Longest key or value: one bulk string of a client request.
    public var value = 1 << 20
    /// Longest client request on the wire (every argument with its RESP framing), and
    /// longest encoded command the replica takes: an encoded key-value command is never
    /// longer than the request it came from, once the request is larger than a few bytes.
    public var command = ReplicaOptions().maxCommandBytes
    /// Longest Request Batch, encoded: the leader proposes a batch early rather than
    /// let the next command take it past this.
    public var batch = ReplicaOptions().maxBatchBytes
    /// Most bytes of entries in one AppendEntries, each entry counted with its framing
    /// (`RaftConfiguration.maxAppendBytes`).
    public var appendEntries = RaftConfiguration().maxAppendBytes
    /// Longest peer frame (length prefix excluded), on both ends of every peer link.
    public var frame = 16 << 20

    public init() {}

    /// The data of one log entry: a batch (a leader's no-op entry is empty).
    public var entry: Int { batch }

    /// Longest WAL record payload: the storage's own limit, which recovery also uses
    /// to tell a damaged length from a real one, so it is not a setting of its own.
    public var walRecord: Int { FileStorage.Options().maxRecordSize }

    /// What each stage adds around what the previous one holds, at most: a batch's
    /// header and an item's origin and length; an entry's term, index, kind and length
    /// in an AppendEntries; an AppendEntries' own fields and the frame's kind; a WAL
    /// record's index, term, kind and length.
    static let batchOverhead = CommandBatch.maxOverhead
    static let entryOverhead = RaftNode.entryFraming
    static let appendEntriesOverhead = 128
    static let recordOverhead = 32

    /// Throws unless every limit is positive and fits inside the next with room for
    /// what that stage adds.
    public func check() throws(SizeLimitError) {
        let nesting: [(inner: String, size: Int, outer: String, limit: Int)] = [
            ("value", value, "command", command - 1),
            ("command", command, "batch", batch - Self.batchOverhead),
            ("entry", entry, "AppendEntries", appendEntries - Self.entryOverhead),
            ("AppendEntries", appendEntries, "frame", frame - Self.appendEntriesOverhead),
            ("entry", entry, "WAL record", walRecord - Self.recordOverhead),
        ]
        guard value > 0 else { throw SizeLimitError(reason: "the value limit must be positive") }
        for (inner, size, outer, limit) in nesting where size > limit {
            throw SizeLimitError(
                reason: "the \(inner) limit (\(size) bytes) does not fit in the \(outer) limit (\(limit) bytes usable)")
        }
    }
}

/// Size limits that do not fit inside each other.
public struct SizeLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
