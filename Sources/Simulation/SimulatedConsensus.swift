import Checker
import Raft
import Storage
import SynodCore

/// What the simulator needs of a consensus protocol beyond `ConsensusCore`: how to start
/// and restart one from a simulated disk, what to watch of it, and the checks that are
/// the protocol's own. Raft and Multi-Paxos each conform in one file; the cluster, its
/// network, disks, clocks, faults, clients and replicas are the same code for both.
protocol SimulatedConsensus: ConsensusCore {
    /// What the protocol's checkers remember of the whole run.
    associatedtype Checks

    static func makeChecks(members: [NodeID], options: SimulationOptions) -> Checks
    /// The highest index known committed anywhere, and the client commands among them.
    static func commitIndex(_ checks: Checks) -> LogIndex
    static func committedCommands(_ checks: Checks) -> Int
    /// Whether the checker lets a server vote (false while it catches up after damage).
    static func mayVote(_ id: NodeID, _ checks: Checks) -> Bool

    /// A fresh server of a new cluster.
    static func start(
        id: NodeID, members: [NodeID], options: SimulationOptions, now: Instant, random: SeededGenerator
    ) -> Self
    /// Whether replicas of this protocol compact their log into snapshots.
    static var compacts: Bool { get }
    /// Whether leadership transfer, torn tails, bit flips and lying disks apply: faults
    /// whose recovery rule only this protocol implements.
    static var takesStorageAndTransferFaults: Bool { get }

    /// The role, term and commit the simulator reports, read in place.
    var observed: ObservedCore { get }
    /// One server's part of a state summary, after its id.
    var summary: String { get }
    /// The trace line (after the server's id) for a change of role or term; nil for none.
    func transitionLine(from before: ObservedCore) -> String?
    /// Asks a leader to hand leadership over; false when the protocol cannot.
    mutating func transferLeadership(to target: NodeID, at now: Instant, into out: inout Output) -> Bool

    static func describe(_ message: Message) -> String
    /// About how many bytes the message takes on the wire: what a bandwidth-limited link
    /// charges for it.
    static func wireSize(_ message: Message) -> Int
    /// Whether a leader's message sends new entries to a follower.
    static func carriesEntries(_ message: Message) -> Bool

    /// Puts the step's writes on the server's disk and checks what they change; false
    /// when a check failed (the violation is recorded).
    static func persist(slot: Int, before: ObservedCore, after: ObservedCore, in sim: inout ClusterSimulation<Self>)
        -> Bool
    /// Checks a change of role, term or commit index.
    static func transition(
        slot: Int, before: ObservedCore, after: ObservedCore, in sim: inout ClusterSimulation<Self>
    ) -> CheckFailure?
    static func applied(_ id: NodeID, _ entries: [LogEntry], _ checks: inout Checks) -> CheckFailure?
    /// Checks a message about to leave against what its sender's disk holds.
    static func checkSend(_ envelope: Envelope<Message>, slot: Int, in sim: ClusterSimulation<Self>) -> CheckFailure?
    /// Tells the checkers how a disk's durable contents changed.
    static func mirror(_ changes: [SimulatedDisk.DiskChange], of id: NodeID, in sim: inout ClusterSimulation<Self>)
        -> CheckFailure?
    static func crashed(_ id: NodeID, _ checks: inout Checks)
    /// A server's synced data was damaged, or its recovery refused to start it.
    static func diskDamaged(_ id: NodeID, refused: Bool, _ checks: inout Checks)
    /// Starts a crashed server again from what its disk recovered.
    static func restart(_ id: NodeID, from recovered: RecoveredState, in sim: inout ClusterSimulation<Self>)
}

/// What the simulator watches of a core after every step.
struct ObservedCore: Equatable {
    /// Multi-Paxos roles are drawn with Raft's letters: a candidate runs phase 1.
    var role: RaftRole
    /// The term reported (Raft's term, a ballot's round).
    var term: Term
    /// What identifies a leadership: the term, or a ballot's generation.
    var epoch: Term
    var commit: LogIndex
}

extension SimulatedConsensus {
    static func mayVote(_ id: NodeID, _ checks: Checks) -> Bool { true }
    static var takesStorageAndTransferFaults: Bool { false }
}
