import ArgumentParser
import Foundation
import Lab
import Paxos
import Raft
import Simulation
import SynodCore

/// `synod compare`: Raft and Multi-Paxos on identical seeds and fault schedules, side by
/// side: what a committed command costs in messages, how long it takes to commit, how
/// long the cluster stalls when its leader crashes, and how available it stays under
/// the liveness scenarios.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run Raft and Multi-Paxos on the same seeds and faults and print a comparison table.",
        discussion: """
            For each protocol and seed: one run under --faults with proposals at --rate \
            (messages per committed command, commit latency from a request's submission to \
            its commit, in virtual time), one healthy run whose leader crashes at t=2s (time \
            to the next commit), and every liveness scenario (availability: requests made \
            during the faults that committed within 1 s). Both protocols use the same \
            timeouts and election safeguards (--config; for Multi-Paxos, CheckQuorum means \
            leader stickiness with a quorum check).

            Exit status: 0, or 1 if any run broke a safety invariant; 2 on bad arguments.
            """
    )

    @Option(help: "Comma-separated protocols to compare: raft, multipaxos.")
    var protocols = "raft,multipaxos"

    @OptionGroup var quorums: PaxosQuorumOptions

    @Option(
        parsing: .unconditional, help: "Seeds 1...N for every measure (N at most 1000000). (default: 20)",
        transform: Limit.whole(Limit.seeds))
    var seeds = 20

    @Option(
        parsing: .unconditional, help: "Servers in the cluster, 1...64 (the scenarios always use 5). (default: 5)",
        transform: Limit.whole(1...64, why: " (the checkers keep servers in 64-bit sets)"))
    var nodes = 5

    @Option(help: "Fault profile of the message and latency runs.")
    var faults: FaultProfile = .swarm

    @Option(
        parsing: .unconditional,
        help: "Virtual time per run of the message and latency runs, e.g. 10s; at most 1h. (default: 10s)",
        transform: Limit.span(atMost: Limit.duration))
    var duration: TimeSpan = .seconds(10)

    @Option(
        parsing: .unconditional,
        help: "Client proposals per virtual second, 1...1000000. (default: \(SimulationOptions().proposalsPerSecond))",
        transform: Limit.whole(1...1_000_000))
    var rate = SimulationOptions().proposalsPerSecond

    @Option(help: "Leader election safeguards: plain, prevote, checkquorum or prevote+checkquorum.")
    var config = RaftConfiguration().elections

    func validate() throws {
        _ = try compared()
        if quorums.phase1Quorum != nil || quorums.phase2Quorum != nil {
            _ = try quorums.quorums(nodes: nodes)
            _ = try quorums.quorums(nodes: Scenario.servers)
        }
    }

    /// The protocols named, in order, without repeats.
    func compared() throws -> [ConsensusProtocol] {
        var result: [ConsensusProtocol] = []
        for name in protocols.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let value = ConsensusProtocol(rawValue: name), value != .paxos else {
                throw ValidationError("--protocols takes raft and multipaxos; '\(name)' is not one of them.")
            }
            if !result.contains(value) { result.append(value) }
        }
        if result.isEmpty { throw ValidationError("--protocols needs at least one protocol.") }
        return result
    }

    func consensus(_ kind: ConsensusProtocol, nodes: Int) -> Consensus {
        kind == .raft ? .raft : .multiPaxos((try? quorums.quorums(nodes: nodes)) ?? PaxosQuorums(nodes: nodes))
    }

    func run() throws {
        let kinds = try compared()
        var rows: [ComparisonRow] = []
        for kind in kinds {
            var options = SimulationOptions(nodes: nodes, duration: duration, faults: faults, proposalsPerSecond: rate)
            options.raft.elections = config
            options.consensus = consensus(kind, nodes: nodes)
            options.measureCommitLatency = true
            rows.append(measure(kind.rawValue, options: options))
        }
        var output = StandardStream.output
        let flags = quorumFlags
        print(
            "synod compare --protocols \(kinds.map(\.rawValue).joined(separator: ",")) --seeds \(seeds)"
                + (faults != .swarm ? " --faults \(faults.rawValue)" : "") + flags,
            to: &output)
        print("", to: &output)
        for line in ComparisonTable(rows: rows, faults: faults, seeds: seeds).lines { print(line, to: &output) }
        if rows.contains(where: { $0.safetyViolations > 0 }) { throw ExitCode(1) }
    }

    var quorumFlags: String {
        (quorums.phase1Quorum.map { " --phase1-quorum \($0)" } ?? "")
            + (quorums.phase2Quorum.map { " --phase2-quorum \($0)" } ?? "")
    }

    func measure(_ name: String, options: SimulationOptions) -> ComparisonRow {
        let seeds = self.seeds
        let reports = parallelMap(seeds) { index in
            var simulation = Simulation(options: options, seed: UInt64(index + 1))
            return simulation.run()
        }
        let probe = LeaderCrashRecovery(options: options)
        let recoveries = parallelMap(seeds) { probe.run(seed: UInt64($0 + 1)) }
        let runner = ScenarioRunner(
            elections: config, consensus: consensus(ConsensusProtocol(rawValue: name)!, nodes: Scenario.servers))
        let scenarios = ScenarioCatalog.all
        let results = parallelMap(scenarios.count * seeds) { index in
            runner.run(scenarios[index / seeds], seed: UInt64(index % seeds + 1))
        }
        let summaries = scenarios.indices.map { i in
            ScenarioSummary(
                scenario: scenarios[i].name, elections: config,
                results: Array(results[(i * seeds)..<((i + 1) * seeds)]))
        }
        return ComparisonRow(
            name: name, reports: reports, recoveries: recoveries, scenarios: summaries)
    }
}
