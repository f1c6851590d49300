import SynodCore

/// A snapshot on its way to one follower, one chunk at a time (flow control): the next
/// chunk leaves when the last is acknowledged, a chunk is sent again only when its
/// answer is overdue, and heartbeats meanwhile carry no data. The leader keeps the
/// snapshot it started with even if it compacts again, so a transfer slower than the
/// compaction interval still finishes instead of starting over from byte 0.
struct SnapshotTransfer: Sendable {
    var snapshot: Snapshot
    /// Bytes the follower said it holds.
    var acked = 0
    /// When the chunk in flight left, or nil when the next one is due now.
    var chunkSentAt: Instant?
    /// When the follower last acknowledged new bytes (or the transfer began): a transfer
    /// that moved recently holds the leader's compaction.
    var progressedAt: Instant

    init(snapshot: Snapshot, now: Instant) {
        self.snapshot = snapshot
        self.progressedAt = now
    }

    /// Whether a chunk with data should leave now: none is in flight, or the one in
    /// flight has had `resendAfter` to be answered.
    func chunkDue(at now: Instant, resendAfter: TimeSpan) -> Bool {
        guard let sent = chunkSentAt else { return true }
        return now >= sent + resendAfter
    }
}
