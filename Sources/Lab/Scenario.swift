import Raft
import Simulation
import SynodCore

/// A named fault story for a 5-server cluster, told against whoever leads when the
/// faults begin. Each runs as: one second to elect a leader, the story's faults for
/// ten seconds (the measured window), then everything heals.
public struct Scenario: Sendable {
    public let name: String
    /// What happens and what the literature says about it, in a few lines.
    public let story: String
    /// Whether, during the faults, some server with an up-to-date log can reach a
    /// majority; only then can any Raft configuration stay available.
    public let electableMajority: Bool
    /// Injects the faults: called at the start of the window; may run the simulation
    /// forward itself (up to `window.end`) to change the faults over time.
    let inject: @Sendable (inout Simulation, ScenarioWindow) -> Void

    public static let servers = 5
}

/// When a scenario's faults start and heal.
public struct ScenarioWindow: Sendable {
    public let start: Instant
    public let end: Instant

    public static let standard = ScenarioWindow(
        start: .zero + .seconds(1), end: .zero + .seconds(11))
}

extension Simulation {
    /// The servers other than `ids`, in id order.
    func others(than ids: NodeID...) -> [NodeID] { members.filter { !ids.contains($0) } }

    /// The leader now, or the lowest id when there is none (a story needs a cast).
    var leaderOrFirst: NodeID { leader ?? members[0] }
}
