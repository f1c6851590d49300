import Raft
import Simulation
import SynodCore

/// What one run of a scenario measured.
public struct ScenarioResult: Sendable {
    public var seed: UInt64
    /// Share of the window's client requests that committed within the bound.
    public var availability: Double
    public var elections: Int
    public var maxTerm: Term
    /// From the heal to the first commit of a request made after it; nil if none did.
    public var recovery: TimeSpan?
    public var violation: Violation?
    public var samples: [Sample]
}

/// Runs scenarios: the story's faults in the window, then the heal and the liveness
/// check, with every safety invariant checked after every event.
public struct ScenarioRunner: Sendable {
    public var elections: ElectionSafeguards
    public var window = ScenarioWindow.standard
    public var bugs: Set<RaftBug> = []
    /// The protocol the servers run; the stories are told the same way for each.
    public var consensus: Consensus = .raft

    public init(elections: ElectionSafeguards, consensus: Consensus = .raft) {
        self.elections = elections
        self.consensus = consensus
    }

    public func options() -> SimulationOptions {
        var options = SimulationOptions(
            nodes: Scenario.servers,
            duration: TimeSpan(nanoseconds: (window.end.nanoseconds * 5) / 4),
            faults: .none)
        options.raft.elections = elections
        options.raft.bugs = bugs
        options.consensus = consensus
        options.measureFrom = window.start
        return options
    }

    public func run(_ scenario: Scenario, seed: UInt64, sampleEvery: TimeSpan? = nil) -> ScenarioResult {
        var sim = Simulation(options: options(), seed: seed)
        if let sampleEvery { sim.sample(every: sampleEvery) }
        sim.run(until: window.start)
        if sim.report.violation == nil { scenario.inject(&sim, window) }
        let report = sim.run()
        return ScenarioResult(
            seed: seed, availability: report.availability, elections: report.elections, maxTerm: report.maxTerm,
            recovery: report.recoveryTime, violation: report.violation, samples: sim.samples)
    }
}

/// Figures over many seeds of one scenario and configuration.
public struct ScenarioSummary: Sendable {
    public var scenario: String
    public var elections: ElectionSafeguards
    public var results: [ScenarioResult]

    public init(scenario: String, elections: ElectionSafeguards, results: [ScenarioResult]) {
        self.scenario = scenario
        self.elections = elections
        self.results = results
    }

    public var meanAvailability: Double { mean(results.map(\.availability)) }
    public var meanElections: Double { mean(results.map { Double($0.elections) }) }
    public var meanMaxTerm: Double { mean(results.map { Double($0.maxTerm.rawValue) }) }
    /// Mean recovery in milliseconds over the runs that recovered.
    public var meanRecoveryMilliseconds: Double? {
        let recovered = results.compactMap(\.recovery)
        return recovered.isEmpty ? nil : mean(recovered.map(\.milliseconds))
    }
    public var safetyViolations: [ScenarioResult] { results.filter { $0.violation?.kind == .safety } }
    public var livenessViolations: [ScenarioResult] { results.filter { $0.violation?.kind == .liveness } }

    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}
