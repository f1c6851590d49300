import SynodCore

/// Everything one input made a replica want done, carried out by the driver in this
/// order: the consensus core's output (`writes` to the disk, `messages` to peers), the
/// `forwards` to peers, the `replies` to clients, the `reads` to serve from the machine
/// now, then the follow-ups (`flushBatch`, `compactionDue`, `caughtUp`,
/// `diskHealthChanged`, `fatal`) and a wake-up no later than `wakeAt`.
///
/// Drivers keep one value and pass it `inout` to every input, clearing it with
/// `removeAll()` first, so that the hot path allocates nothing.
public struct ReplicaActions<Output: ConsensusOutput>: Sendable {
    /// What the consensus core asked for, over every call this input made to it.
    public var consensus = Output()
    public var forwards: [Envelope<ForwardMessage>] = []
    /// Answers to writes, by the token the driver gave with each.
    public var replies: [(token: UInt64, outcome: WriteOutcome)] = []
    /// Reads whose point the machine has reached (`served`: run the query on
    /// `state.machine` now), or that found none before their deadline.
    public var reads: [(token: UInt64, served: Bool)] = []
    /// Sizes of the Request Batches proposed, for metrics.
    public var proposedBatches: [Int] = []
    /// Writes wait in a batch: call `proposeBatch(at:into:)` once the current burst of
    /// input has been fed (at the same instant).
    public var flushBatch = false
    /// Call `compact(at:into:)` soon: enough was applied since the last snapshot.
    public var compactionDue = false
    /// With `ReplicaOptions.restoresOffThread`: decode this snapshot
    /// (`ReplicatedState(snapshot:)`) and hand the result to `restored(_:through:at:into:)`.
    public var restoreDue: Snapshot?
    /// The server rejoined after disk damage and may vote again: clear its marker.
    public var caughtUp = false
    /// The disk stopped writing or writes again (`ReplicaCore.diskTrouble` says which):
    /// say so in the log and the metrics.
    public var diskHealthChanged = false
    /// The replica cannot go on (a snapshot that does not decode, a failed disk): stop it.
    public var fatal: String?
    public var wakeAt: Instant = .distantFuture

    public init() {}

    public mutating func removeAll() {
        consensus.removeAll()
        if !forwards.isEmpty { forwards.removeAll(keepingCapacity: true) }
        if !replies.isEmpty { replies.removeAll(keepingCapacity: true) }
        if !reads.isEmpty { reads.removeAll(keepingCapacity: true) }
        if !proposedBatches.isEmpty { proposedBatches.removeAll(keepingCapacity: true) }
        flushBatch = false
        compactionDue = false
        restoreDue = nil
        caughtUp = false
        diskHealthChanged = false
        fatal = nil
        wakeAt = .distantFuture
    }
}
