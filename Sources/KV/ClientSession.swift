import SynodCore

/// What the Idempotent Receiver remembers of one client: its last applied sequence and
/// the reply it got, so a retry of that request is answered without applying it again.
struct ClientSession: Hashable, Sendable {
    /// 0 until the first request; client sequences start at 1.
    var lastSequence: UInt64 = 0
    /// The reply to `lastSequence`; `nil` until the first request.
    var lastReply: KVReply?
    /// The store's time when the client last made a request; expiry counts from here.
    var lastActivity: Instant

    /// Whether a session last active at `lastActivity` has expired at `now`: idle for
    /// strictly longer than `timeout`. A difference too large for 64 bits is expired.
    static func isExpired(lastActivity: Instant, now: Instant, timeout: TimeSpan) -> Bool {
        let (idle, overflow) = now.nanoseconds.subtractingReportingOverflow(lastActivity.nanoseconds)
        return overflow || idle > timeout.nanoseconds
    }
}
