import SynodCore

/// The replicated state machine of the key-value store. Every replica applies the same
/// committed entries in the same order and so reaches the same state and the same
/// replies: it reads no clock but the leader's stamp in each request, and never lets
/// hash order decide an output.
///
/// Keys are Versioned Values (each remembers the log index of its last write), and
/// client sessions make writes exactly-once (Idempotent Receiver).
///
/// ```swift
/// var store = KVStore()
/// let reply = store.apply(KVRequest(command: .put(key: "x", value: "5"), time: now), at: 1)
/// store.read("x")  // (value: "5", version: 1)
/// ```
public struct KVStore: Sendable {
    public static let defaultSessionTimeout: TimeSpan = .seconds(60)

    /// How long a session may stay idle, in stamped time, before it expires.
    public internal(set) var sessionTimeout: TimeSpan
    /// The index of the last entry applied; 0 before any.
    public internal(set) var appliedIndex: LogIndex = .zero
    /// The store's "now": the latest time stamped on any request applied so far. Taking
    /// the maximum keeps time from going back when a new leader's clock is behind.
    public internal(set) var latestTime: Instant?

    var values: [ByteString: VersionedValue] = [:]
    var sessions = SessionTable()

    public init(sessionTimeout: TimeSpan = KVStore.defaultSessionTimeout) {
        precondition(sessionTimeout >= .zero, "a session timeout cannot be negative")
        self.sessionTimeout = sessionTimeout
    }

    public var keyCount: Int { values.count }

    /// The sessions still open (expired ones are dropped as soon as time passes them).
    public var sessionCount: Int { sessions.count }

    /// The local value of `key` and its version, for read paths that bypass the log.
    /// Only as fresh as `appliedIndex`.
    public func read(_ key: ByteString) -> (value: ByteString?, version: LogIndex?) {
        let entry = values[key]
        return (entry?.value, entry?.version)
    }

    /// Applies the request committed at `index` and returns its reply.
    ///
    /// Expired sessions are dropped first; a request on a session that is unknown or
    /// expired is not applied. A request outside any session (session 0) is applied
    /// as is, with no protection against retries.
    ///
    /// - Precondition: `index` is past `appliedIndex`; each entry is applied once, in order.
    /// - Complexity: O(1) amortized, plus O(1) per session that expires.
    public mutating func apply(_ request: KVRequest, at index: LogIndex) -> KVReply {
        precondition(index > appliedIndex, "entry \(index) applied after \(appliedIndex)")
        appliedIndex = index
        let now = max(latestTime ?? request.time, request.time)
        latestTime = now
        sessions.expire(at: now, timeout: sessionTimeout)

        if request.command == .openSession {
            sessions.open(index.rawValue, at: now)
            return .sessionOpened(id: index.rawValue)
        }
        guard request.session != 0 else { return execute(request.command, at: index) }
        guard let session = sessions[request.session] else { return .sessionExpired }
        guard request.sequence > session.lastSequence else {
            sessions.touch(request.session, at: now)
            if request.sequence == session.lastSequence, let reply = session.lastReply { return reply }
            return .outOfOrder
        }
        let reply = execute(request.command, at: index)
        sessions.touch(request.session, at: now, recording: request.sequence, reply: reply)
        return reply
    }

    /// Records an entry that carries no command (a new leader's no-op), so that
    /// `appliedIndex` and snapshots cover the whole log.
    public mutating func applyNoop(at index: LogIndex) {
        precondition(index > appliedIndex, "entry \(index) applied after \(appliedIndex)")
        appliedIndex = index
    }
}
