import SynodCore

/// What one seed's run produced: its counters and, if any, the first violation.
public struct SimulationReport: Sendable {
    public var seed: UInt64
    public var events: Int = 0
    public var faults: Int = 0
    /// Client commands committed.
    public var commits: Int = 0
    /// Elections started (a server became candidate).
    public var elections: Int = 0
    public var endTime: Instant = .zero
    /// The highest term any server reached.
    public var maxTerm: Term = .zero
    /// Client requests made in the measured fault window, and how many of them
    /// committed within the availability bound.
    public var windowRequests = 0
    public var windowServed = 0
    /// Served share of the measured window's requests (1 when there were none).
    public var availability: Double {
        windowRequests == 0 ? 1 : Double(windowServed) / Double(windowRequests)
    }
    /// Key-value workload: operations finished, and the read figures (virtual time).
    public var operations = 0
    public var readLatencies: [TimeSpan] = []
    public var staleEntries: [Int] = []
    public var staleTimes: [TimeSpan] = []
    /// From the heal to the commit of the first proposal made after it.
    public var recoveryTime: TimeSpan?
    /// Restarts refused by storage recovery (corruption), and restarts that cut away
    /// possibly acknowledged entries (the server rejoined catching up).
    public var refusedStarts = 0
    public var damagedRestarts = 0
    /// Messages the servers sent (before the network lost any).
    public var messages = 0
    /// With `SimulationOptions.measureCommitLatency`: from each committed request's
    /// submission to its commit, in virtual time.
    public var commitLatencies: [TimeSpan] = []
    public var violation: Violation?

    public init(seed: UInt64) { self.seed = seed }
}

/// A broken promise found by the checks: the run stops at the first one.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case safety, liveness }

    public var kind: Kind
    /// The invariant's name, e.g. `election-safety`, `state-machine-safety`.
    public var invariant: String
    /// The number of the event after which it was found.
    public var event: Int
    public var time: Instant
    /// What was seen, with the servers' states.
    public var detail: String

    public init(kind: Kind, invariant: String, event: Int, time: Instant, detail: String) {
        self.kind = kind
        self.invariant = invariant
        self.event = event
        self.time = time
        self.detail = detail
    }

    public var description: String {
        "\(kind) violation: \(invariant) at event \(event) (t=\(time)): \(detail)"
    }
}
