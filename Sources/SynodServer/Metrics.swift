import Metrics
import Raft
import SynodCore

/// One server's metrics, made once through swift-metrics; every series carries the
/// label `node="<id>"`, so several servers can share a registry. Recording is cheap
/// (atomics in the Prometheus backend) and allocates nothing.
final class ServerMetrics: Sendable {
    enum Name {
        static let term = "synod_term"
        static let commitIndex = "synod_commit_index"
        static let appliedIndex = "synod_applied_index"
        static let lastLogIndex = "synod_last_log_index"
        static let leader = "synod_leader_id"
        static let role = "synod_role"
        static let elections = "synod_elections_started_total"
        static let leaderChanges = "synod_leader_changes_total"
        static let appendLatency = "synod_wal_append_duration_seconds"
        static let fsyncLatency = "synod_wal_fsync_duration_seconds"
        static let batchEntries = "synod_wal_batch_entries"
        static let batchCommands = "synod_proposal_batch_commands"
        static let peers = "synod_peers_connected"
        static let peerFramesDropped = "synod_peer_frames_dropped_total"
        static let peerSilentCloses = "synod_peer_silent_closes_total"
        static let requests = "synod_client_requests_total"
        static let errors = "synod_client_errors_total"
        static let diskHealthy = "synod_disk_healthy"
        static let diskFailures = "synod_disk_failures_total"
    }

    /// The roles in `synod_role`'s `role` label; exactly one of them is 1 at a time.
    static let roles: [RaftRole] = [.follower, .preCandidate, .candidate, .leader]

    let term: Gauge
    let commitIndex: Gauge
    let appliedIndex: Gauge
    let lastLogIndex: Gauge
    let leader: Gauge
    /// One gauge per entry of `roles`.
    let role: [Gauge]
    let elections: Counter
    let leaderChanges: Counter
    /// One disk batch: every write performed, then the sync.
    let appendLatency: Metrics.Timer
    /// The sync call alone.
    let fsyncLatency: Metrics.Timer
    let batchEntries: Recorder
    /// Commands per proposed entry (Request Batch).
    let batchCommands: Recorder
    /// Peer connections with an accepted hello, recorded at every change.
    let peers: Gauge
    /// Messages to a peer dropped because its socket has a full backlog (`reason="backlog"`)
    /// or because no connection to it is up (`reason="disconnected"`).
    let peerFramesDroppedBacklog: Counter
    let peerFramesDroppedDisconnected: Counter
    /// Peer connections closed because the peer owed an answer and sent nothing.
    let peerSilentCloses: Counter
    /// 1 while the disk writes; 0 while it cannot (full, or a sync hung past the stall
    /// limit), during which the server hands leadership over and stays out of elections.
    let diskHealthy: Gauge
    /// Times the disk stopped writing.
    let diskFailures: Counter
    /// By `ClientRequestKind.rawValue`.
    let requests: [Counter]
    let errors: [Counter]

    init(node: NodeID, factory: any MetricsFactory) {
        let id = [("node", "\(node.rawValue)")]
        term = Gauge(label: Name.term, dimensions: id, factory: factory)
        commitIndex = Gauge(label: Name.commitIndex, dimensions: id, factory: factory)
        appliedIndex = Gauge(label: Name.appliedIndex, dimensions: id, factory: factory)
        lastLogIndex = Gauge(label: Name.lastLogIndex, dimensions: id, factory: factory)
        leader = Gauge(label: Name.leader, dimensions: id, factory: factory)
        role = Self.roles.map { Gauge(label: Name.role, dimensions: id + [("role", $0.rawValue)], factory: factory) }
        elections = Counter(label: Name.elections, dimensions: id, factory: factory)
        leaderChanges = Counter(label: Name.leaderChanges, dimensions: id, factory: factory)
        appendLatency = Metrics.Timer(label: Name.appendLatency, dimensions: id, factory: factory)
        fsyncLatency = Metrics.Timer(label: Name.fsyncLatency, dimensions: id, factory: factory)
        batchEntries = Recorder(label: Name.batchEntries, dimensions: id, aggregate: true, factory: factory)
        batchCommands = Recorder(label: Name.batchCommands, dimensions: id, aggregate: true, factory: factory)
        peers = Gauge(label: Name.peers, dimensions: id, factory: factory)
        peerFramesDroppedBacklog = Counter(
            label: Name.peerFramesDropped, dimensions: id + [("reason", "backlog")], factory: factory)
        peerFramesDroppedDisconnected = Counter(
            label: Name.peerFramesDropped, dimensions: id + [("reason", "disconnected")], factory: factory)
        peerSilentCloses = Counter(label: Name.peerSilentCloses, dimensions: id, factory: factory)
        diskHealthy = Gauge(label: Name.diskHealthy, dimensions: id, factory: factory)
        diskFailures = Counter(label: Name.diskFailures, dimensions: id, factory: factory)
        requests = ClientRequestKind.allCases.map {
            Counter(label: Name.requests, dimensions: id + [("kind", $0.label)], factory: factory)
        }
        errors = ClientRequestKind.allCases.map {
            Counter(label: Name.errors, dimensions: id + [("kind", $0.label)], factory: factory)
        }
        peers.record(0)
        diskHealthy.record(1)
    }

    func request(_ kind: ClientRequestKind) { requests[kind.rawValue].increment() }

    func error(_ kind: ClientRequestKind) { errors[kind.rawValue].increment() }
}

/// The `kind` label of the client counters.
enum ClientRequestKind: Int, CaseIterable {
    case get, mget, exists
    /// KEYS, SCAN, DBSIZE: reads of the whole key space.
    case keys
    /// SET, DEL, INCR, APPEND, CAS and the other writes.
    case write
    /// SYNOD.EXEC: a write within a client session.
    case exec
    /// PING, HELLO, INFO, SYNOD.STATUS and the other commands the server answers itself.
    case admin
    /// A command that does not parse (unknown, wrong arity): answered with an error.
    case invalid
    /// A broken byte stream: answered with an error, then the connection closes.
    case protocolError

    var label: String {
        switch self {
        case .get: "get"
        case .mget: "mget"
        case .exists: "exists"
        case .keys: "keys"
        case .write: "write"
        case .exec: "exec"
        case .admin: "admin"
        case .invalid: "invalid"
        case .protocolError: "protocol"
        }
    }
}

/// The Raft core's state as last published to the gauges: `ReplicaNode` calls `observe`
/// after every step, and a gauge is touched only when its value changed.
struct CoreMetricsObserver {
    let metrics: ServerMetrics
    private var term: Term?
    private var role: RaftRole?
    private var leader: NodeID??
    private var commitIndex: LogIndex?
    private var appliedIndex: LogIndex?
    private var lastIndex: LogIndex?

    init(metrics: ServerMetrics) { self.metrics = metrics }

    mutating func observe(_ raft: RaftNode, applied: LogIndex) {
        let termChanged = raft.term != term
        if termChanged {
            term = raft.term
            metrics.term.record(Int64(clamping: raft.term.rawValue))
        }
        if raft.role != role {
            for (index, candidate) in ServerMetrics.roles.enumerated() {
                metrics.role[index].record(candidate == raft.role ? 1 : 0)
            }
        }
        // An election starts when the core becomes candidate, or stays candidate in a new term.
        if raft.role == .candidate, role != .candidate || termChanged { metrics.elections.increment() }
        role = raft.role
        if leader != .some(raft.leaderID) {
            if let new = raft.leaderID {
                if leader != nil { metrics.leaderChanges.increment() }
                metrics.leader.record(Int64(new.rawValue))
            } else {
                metrics.leader.record(0)
            }
            leader = .some(raft.leaderID)
        }
        if raft.commitIndex != commitIndex {
            commitIndex = raft.commitIndex
            metrics.commitIndex.record(Int64(clamping: raft.commitIndex.rawValue))
        }
        if applied != appliedIndex {
            appliedIndex = applied
            metrics.appliedIndex.record(Int64(clamping: applied.rawValue))
        }
        let last = raft.log.lastIndex
        if last != lastIndex {
            lastIndex = last
            metrics.lastLogIndex.record(Int64(clamping: last.rawValue))
        }
    }
}
