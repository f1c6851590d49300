import Paxos
import Raft
import Replication
import SynodCore

/// Everything that decides a simulated run besides its seed. A run is a function of
/// (options, seed): the same pair gives the same events, byte for byte.
public struct SimulationOptions: Sendable {
    public var nodes: Int
    public var duration: TimeSpan
    public var faults: FaultProfile
    /// Client proposals per virtual second, spread over the run.
    public var proposalsPerSecond: Int
    public var raft: RaftConfiguration
    /// After the faults heal (at 80% of the run), a leader must be elected and a new
    /// proposal must commit within this bound, or the run is a liveness violation.
    /// The run is extended when its last 20% is shorter than this bound.
    public var livenessBound: TimeSpan
    /// Availability counts the requests made from this instant until the heal.
    public var measureFrom: Instant = .zero
    /// A request counts as served when it commits within this bound.
    public var availabilityBound: TimeSpan = .seconds(1)
    /// The key-value workload, or nil for opaque proposals at `proposalsPerSecond`.
    public var workload: KVWorkload?
    /// Largest clock-rate error of any node, in parts per million.
    public var maxClockDriftPPM: Int
    /// Each server compacts its log (snapshot + Low-Water Mark) every this many applied
    /// entries; 0 turns compaction off. Small, so that lagging servers often need a
    /// snapshot (InstallSnapshot) rather than entries.
    public var compactEvery = 64
    /// Overrides the servers' snapshot chunk size: small, so snapshots travel in pieces.
    public var snapshotChunkSize: Int? = 512
    /// The protocol the servers run. Multi-Paxos takes its timing from `multiPaxos` and
    /// its leader stickiness from `raft.checkQuorum`, so `--config` means the same.
    public var consensus: Consensus = .raft
    /// Record every committed request's latency in the report (for `synod compare`).
    public var measureCommitLatency = false
    public var multiPaxos = MultiPaxosConfiguration()
    /// Deliberate bugs in the replica layer (Request Batch, forwards, reads).
    public var replicaBugs: Set<ReplicaBug> = []

    public init(
        nodes: Int = 5,
        duration: TimeSpan = .seconds(10),
        faults: FaultProfile = .swarm,
        proposalsPerSecond: Int = 100,
        raft: RaftConfiguration = RaftConfiguration(),
        livenessBound: TimeSpan = .seconds(3),
        maxClockDriftPPM: Int = 200
    ) {
        self.nodes = nodes
        self.duration = duration
        self.faults = faults
        self.proposalsPerSecond = proposalsPerSecond
        self.raft = raft
        self.livenessBound = livenessBound
        self.maxClockDriftPPM = maxClockDriftPPM
    }

    /// The faults stop and everything heals at this instant.
    public var healTime: Instant { Instant(nanoseconds: duration.nanoseconds / 5 * 4) }
}

/// The consensus protocol a simulated cluster runs.
public enum Consensus: Sendable, Equatable {
    case raft
    /// Multi-Paxos with these phase-1 and phase-2 quorum sizes.
    case multiPaxos(PaxosQuorums)

    /// How many acceptors choose a value (Raft: a majority stores an entry).
    public func phase2Quorum(nodes: Int) -> Int {
        switch self {
        case .raft: nodes / 2 + 1
        case .multiPaxos(let quorums): quorums.phase2
        }
    }
}

/// Named fault mixes, chosen on the command line with `--faults`.
public enum FaultProfile: String, Sendable, CaseIterable {
    /// A healthy cluster: latency jitter only.
    case none
    /// Partitions (two-way, one-way, partial), loss, duplication, reordering, latency spikes.
    case network
    /// Crashes and restarts that keep only synced writes; slow disks.
    case crash
    /// Storage faults beside crashes: lost unsynced writes, torn last records, bit flips
    /// in synced data on a minority of servers, slow disks.
    case disk
    /// Disks that lie about syncs on a majority of servers: a crash loses acknowledged
    /// records silently. No protocol survives this; the checker must report it.
    case diskMajority = "disk-majority"
    /// The seed picks which fault kinds are on and how often each strikes.
    case swarm
    /// Network faults, and clocks (the leader's, or a majority of the others') that run
    /// far outside the bound leases are computed from. Lease reads are expected to fail,
    /// and the checker must say so.
    case clockBoundBroken = "clock-bound-broken"
}
