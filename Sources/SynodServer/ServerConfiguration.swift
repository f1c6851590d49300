import Metrics
import Prometheus
import Raft
import Replication
import SynodCore

/// Everything one `synod serve` process needs to know: who it is, who its peers are,
/// where its data lives and which ports it listens on.
public struct ServerConfiguration: Sendable {
    /// This server's id and every member's peer address (`host:port`).
    public var id: NodeID
    public var peers: [NodeID: String]
    /// A cluster's name: a peer that presents another one is refused.
    public var clusterID: String
    public var dataDirectory: String
    /// The key-value server's client (RESP) port; 0 binds any free port. An embedded
    /// `Replica` has no client port and ignores both.
    public var clientHost: String
    public var clientPort: Int
    /// The Raft core's timing and limits; its `maxAppendBytes` is `limits.appendEntries`
    /// (setting either sets both).
    public var raft: RaftConfiguration {
        get {
            var raft = raftSettings
            raft.maxAppendBytes = limits.appendEntries
            return raft
        }
        set {
            raftSettings = newValue
            limits.appendEntries = newValue.maxAppendBytes
        }
    }
    private var raftSettings: RaftConfiguration
    /// How large a value, a command, a batch, an AppendEntries and a frame may be; each
    /// fits in the next (see `SizeLimits`).
    public var limits = SizeLimits()
    /// Peer frames larger than this are refused: `limits.frame`.
    public var maxFrameSize: Int {
        get { limits.frame }
        set { limits.frame = newValue }
    }
    /// Every this many applied entries the server snapshots its state machine.
    public var snapshotEvery: Int
    /// How reads are confirmed: ReadIndex (a heartbeat round) or a leader lease.
    public var readConfirmation: ReadConfirmation = .readIndex
    /// Past this many entries appended but not yet committed, the leader refuses new
    /// writes with `BUSY` instead of letting its log (and memory) grow without bound.
    public var maxUncommittedEntries = 10_000
    /// How long a client request may wait for a leader before it fails.
    public var requestTimeout: TimeSpan = .seconds(5)
    /// The metrics port (HTTP, `GET /metrics` in Prometheus text): none while
    /// `metricsPort` is nil; 0 binds any free port (see `Server.metricsPort`).
    public var metricsHost = "127.0.0.1"
    public var metricsPort: Int?
    /// The registry the metrics port serves.
    public var metricsRegistry = PrometheusMetricsFactory.defaultRegistry
    /// What this server's metrics are made with; nil for the process's `MetricsSystem`
    /// (which `synod serve` bootstraps over `metricsRegistry`). Tests that run several
    /// servers in one process pass `SynodMetrics.makeFactory(registry:)` over a registry
    /// of their own instead.
    public var metricsFactory: (any MetricsFactory)?

    public init(
        id: NodeID, peers: [NodeID: String], clusterID: String = "synod", dataDirectory: String,
        clientHost: String = "127.0.0.1", clientPort: Int = 0, raft: RaftConfiguration = RaftConfiguration(),
        maxFrameSize: Int = 16 << 20, snapshotEvery: Int = defaultSnapshotEvery
    ) {
        self.id = id
        self.peers = peers
        self.clusterID = clusterID
        self.dataDirectory = dataDirectory
        self.clientHost = clientHost
        self.clientPort = clientPort
        self.raftSettings = raft
        self.limits.appendEntries = raft.maxAppendBytes
        self.limits.frame = maxFrameSize
        self.snapshotEvery = snapshotEvery
    }

    /// The members in id order.
    public var members: [NodeID] { peers.keys.sorted() }

    /// Entries applied between two snapshots unless a server is told otherwise.
    public static let defaultSnapshotEvery = 10_000

    /// The replica core's settings, taken from this configuration.
    var replica: ReplicaOptions {
        var options = ReplicaOptions()
        options.requestTimeout = requestTimeout
        options.maxUncommittedEntries = maxUncommittedEntries
        options.snapshotEvery = snapshotEvery
        options.readConfirmation = readConfirmation
        options.maxCommandBytes = limits.command
        options.maxBatchBytes = limits.batch
        // A large machine decodes off the event loop (ReplicaNode's snapshot pool).
        options.restoresOffThread = true
        return options
    }

    /// Throws unless the size limits nest (`SizeLimits.check()`) and a snapshot chunk
    /// fits in a frame.
    public func checkLimits() throws(SizeLimitError) {
        try limits.check()
        let chunkLimit = limits.frame - SizeLimits.appendEntriesOverhead
        guard raft.snapshotChunkSize <= chunkLimit else {
            throw SizeLimitError(
                reason: "a snapshot chunk (\(raft.snapshotChunkSize) bytes) does not fit in the frame limit "
                    + "(\(chunkLimit) bytes usable)")
        }
    }
}
