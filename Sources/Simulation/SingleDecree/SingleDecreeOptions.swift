import Paxos
import SynodCore

/// Everything that decides a single-decree run besides its seed: many independent
/// Synod instances on one cluster, several competing proposers each, under the fault
/// profile. A run is a function of (options, seed).
public struct SingleDecreeOptions: Sendable {
    public var nodes: Int
    public var duration: TimeSpan
    public var faults: FaultProfile
    public var quorums: PaxosQuorums
    /// Instances per run; each starts at a random instant before the heal.
    public var instances = 40
    /// Proposers competing in each instance (on distinct nodes), each with its own value.
    public var proposersPerInstance = 3
    /// The proposers start within this span of each other, so that they collide.
    public var proposerSpread: TimeSpan = .milliseconds(2)
    /// How proposers wait between rounds; nil: the node's default (randomized back-off).
    public var backoff: SingleDecree.Backoff?
    public var bugs: Set<SingleDecree.Bug> = []
    /// A stable leader: only this node's proposers start rounds at once (nil: none).
    public var distinguishedProposer: NodeID?
    /// After the heal every instance must be chosen within this bound, or the run is a
    /// liveness violation (when `checkLiveness`).
    public var livenessBound: TimeSpan = .seconds(3)
    public var checkLiveness = true
    /// Proposals made at fixed instants instead of the random plan (for scenarios).
    public var script: [ScriptedProposal]?
    /// Every link's latency, without per-link differences (for scenarios); nil: random
    /// per link, as in the Raft simulator.
    public var uniformLatency: TimeSpan?
    public var jitter: TimeSpan = .microseconds(100)
    /// A fixed sync time for every disk (for scenarios); nil: 20–200 µs, slow disks
    /// 1–10 ms.
    public var syncLatency: TimeSpan?

    public init(
        nodes: Int = 5, duration: TimeSpan = .seconds(10), faults: FaultProfile = .swarm, quorums: PaxosQuorums? = nil
    ) {
        precondition(nodes >= 1, "a cluster needs at least one node")
        self.nodes = nodes
        self.duration = duration
        self.faults = faults
        self.quorums = quorums ?? PaxosQuorums(nodes: nodes)
    }

    /// The faults stop and everything heals at this instant.
    public var healTime: Instant { Instant(nanoseconds: duration.nanoseconds / 5 * 4) }

    /// The configuration every node runs.
    public var configuration: SingleDecree.Configuration {
        var configuration = SingleDecree.Configuration(quorums: quorums, backoff: backoff, bugs: bugs)
        configuration.distinguishedProposer = distinguishedProposer
        return configuration
    }

    /// The `synod sim --protocol paxos` command that reruns `seed` alone; nil when the
    /// options hold something the command line cannot say.
    public func replayCommand(seed: UInt64) -> String? {
        let defaults = SingleDecreeOptions(nodes: nodes)
        guard script == nil, uniformLatency == nil, syncLatency == nil, backoff == nil, checkLiveness,
            distinguishedProposer == nil,
            instances == defaults.instances, proposersPerInstance == defaults.proposersPerInstance,
            proposerSpread == defaults.proposerSpread, livenessBound == defaults.livenessBound,
            jitter == defaults.jitter
        else { return nil }
        var words = [
            "swift run -c release synod sim --protocol paxos", "--nodes \(nodes)", "--seed \(seed)",
            "--faults \(faults.rawValue)", "--duration \(duration)",
        ]
        if quorums != PaxosQuorums(nodes: nodes) {
            words.append("--phase1-quorum \(quorums.phase1) --phase2-quorum \(quorums.phase2)")
        }
        words += bugs.map(\.rawValue).sorted().map { "--bug \($0)" }
        return words.joined(separator: " ")
    }
}

/// A proposal a scenario makes at a fixed instant.
public struct ScriptedProposal: Sendable {
    public var instance: SingleDecree.InstanceID
    public var node: NodeID
    public var value: SingleDecree.Value
    public var at: Instant

    public init(instance: SingleDecree.InstanceID, node: NodeID, value: SingleDecree.Value, at: Instant) {
        self.instance = instance
        self.node = node
        self.value = value
        self.at = at
    }
}

/// What one single-decree run produced: its counters and, if any, the first violation.
public struct SingleDecreeReport: Sendable {
    public var seed: UInt64
    public var events = 0
    public var faults = 0
    public var instances = 0
    /// Instances in which some value was chosen (a phase-2 quorum accepted it).
    public var chosen = 0
    /// Rounds started by all proposers (ballots tried).
    public var ballots = 0
    /// From each instance's first proposal to the choice of its value, for the chosen ones.
    public var timesToChoose: [TimeSpan] = []
    public var endTime: Instant = .zero
    public var violation: Violation?

    public init(seed: UInt64) { self.seed = seed }
}
