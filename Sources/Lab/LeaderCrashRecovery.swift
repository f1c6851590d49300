import Simulation
import SynodCore

/// How long a cluster stops committing when its leader crashes: a healthy cluster
/// under a steady stream of proposals loses its leader at `crashAt`; the measure runs
/// until the first entry commits after that, on any server (for Raft, the new leader's
/// no-op; for Multi-Paxos, the first slot its phase 1 recovered). The crashed server
/// comes back after `downtime`.
public struct LeaderCrashRecovery: Sendable {
    public var options: SimulationOptions
    public var crashAt: Instant = .zero + .seconds(2)
    public var downtime: TimeSpan = .seconds(1)
    /// Give up (nil) if nothing committed within this span.
    public var limit: TimeSpan = .seconds(5)
    /// Resolution of the measure.
    public var step: TimeSpan = .microseconds(100)

    public init(options: SimulationOptions) {
        var options = options
        options.faults = .none
        options.workload = nil
        self.options = options
    }

    /// The time from the crash to the next commit for `seed`, or nil if none came in time.
    public func run(seed: UInt64) -> TimeSpan? {
        var sim = Simulation(options: options, seed: seed)
        sim.run(until: crashAt)
        guard sim.report.violation == nil, let leader = sim.leader else { return nil }
        let committed = sim.commitIndex
        sim.crash(leader)
        while sim.now < crashAt + limit {
            sim.run(for: step)
            if sim.report.violation != nil { return nil }
            if sim.now >= crashAt + downtime { sim.restart(leader) }
            if sim.commitIndex > committed { return sim.now - crashAt }
        }
        return nil
    }
}
