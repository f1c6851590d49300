import Raft
import Simulation
import SynodCore
import Testing

/// The seeds every story is told with. A story costs a few milliseconds, so each is
/// told many times over: one that holds on a single seed may hold by luck of timing.
let storySeeds: [UInt64] = Array(1...32)

extension Simulation {
    /// A healthy cluster for a story: no random faults, and a run so long that the
    /// automatic heal (at 80% of it) never comes, so faults happen only where the test
    /// puts them. Clients propose steadily throughout. Logs are not compacted unless
    /// `compactEvery` says so, so that a story can read any server's whole log.
    static func story(
        seed: UInt64, nodes: Int = 5, proposalsPerSecond: Int = 100, raft: RaftConfiguration = RaftConfiguration(),
        compactEvery: Int = 0
    ) -> Simulation {
        var options = SimulationOptions(
            nodes: nodes, duration: .seconds(3_600), faults: .none, proposalsPerSecond: proposalsPerSecond, raft: raft)
        options.compactEvery = compactEvery
        return Simulation(options: options, seed: seed)
    }

    /// Runs in steps of a millisecond until `condition` holds, for at most `limit`.
    ///
    /// - Returns: the virtual time it took, or nil when it did not hold in time (or a
    ///   violation stopped the run).
    @discardableResult
    mutating func run(within limit: TimeSpan, until condition: (Simulation) -> Bool) -> TimeSpan? {
        let start = now
        while !condition(self) {
            guard report.violation == nil, now - start < limit else { return nil }
            run(for: .milliseconds(1))
        }
        return now - start
    }

    /// Every live server that believes it leads, in any term.
    var leaders: [NodeID] { members.filter { server($0)?.role == .leader } }

    /// Every live server.
    var liveServers: [RaftNode] { members.compactMap { server($0) } }

    /// The term of the current leader (zero when there is none).
    var leaderTerm: Term { leader.flatMap { server($0)?.term } ?? .zero }

    /// A story's failure message: the seed, the moment, every server's state, the
    /// violation if any, and the command that tells the story again.
    func explain(_ what: String) -> Comment {
        var lines = ["seed \(seed), elections \(options.raft.elections.rawValue), t=\(now): \(what)", stateSummary()]
        if let violation = report.violation { lines.append("\(violation)") }
        lines.append("replay: \(testReplayCommand())")
        return Comment(rawValue: lines.joined(separator: "\n"))
    }

    /// Records an issue when a checker found a violation so far.
    func expectNoViolation(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.violation == nil, explain("a checker failed"), sourceLocation: sourceLocation)
    }
}
