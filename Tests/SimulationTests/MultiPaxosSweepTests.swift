import Paxos
import Simulation
import SynodCore
import Testing

/// Multi-Paxos on the simulator that runs Raft: the same faults, key-value clients and
/// linearizability check. Every seed must keep every Multi-Paxos invariant (one value
/// per chosen slot, the chosen prefix applied everywhere alike, persist before promise)
/// and its history must be linearizable; a failing seed prints its replay command.
@Suite struct MultiPaxosSweepTests {
    static func options(
        nodes: Int = 5, quorums: PaxosQuorums? = nil, readMode: ReadMode = .readindex
    ) -> SimulationOptions {
        var options = SimulationOptions(nodes: nodes, faults: .swarm)
        options.consensus = .multiPaxos(quorums ?? PaxosQuorums(nodes: nodes))
        options.workload = KVWorkload(readMode: readMode)
        return options
    }

    /// Seeds 1...80 of `synod sim --protocol multipaxos --workload kv --faults swarm`.
    @Test func eightyKeyValueSwarmSeedsStayLinearizable() async {
        let options = Self.options()
        let reports = await sweep(options, seeds: 1...80)
        expectNoViolations(reports, options)
        let idle = reports.filter { $0.commits == 0 || $0.operations == 0 }.map(\.seed)
        #expect(idle.isEmpty, "seeds that committed nothing: \(idle)")
        #expect(reports.reduce(0) { $0 + $1.faults } > reports.count, "hardly any faults were injected")
        #expect(reports.contains { $0.elections > 1 }, "no seed ever changed leader")
    }

    /// Flexible Paxos: a phase-2 quorum of 2 of 5 and a phase-1 quorum of 4, reads
    /// through the log.
    @Test func flexibleQuorumsStaySafeUnderSwarmFaults() async throws {
        let options = Self.options(quorums: try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2), readMode: .log)
        let reports = await sweep(options, seeds: 1...40)
        expectNoViolations(reports, options)
        #expect(reports.allSatisfy { $0.commits > 0 })
    }

    @Test(arguments: [3, 7])
    func otherClusterSizesStaySafe(nodes: Int) async {
        var options = SimulationOptions(nodes: nodes, faults: .swarm)
        options.consensus = .multiPaxos(PaxosQuorums(nodes: nodes))
        let reports = await sweep(options, seeds: 1...40)
        expectNoViolations(reports, options)
        #expect(reports.allSatisfy { $0.commits > 0 })
    }

    @Test func theReplayCommandNamesTheProtocolAndItsQuorums() throws {
        let options = Self.options(quorums: try PaxosQuorums(nodes: 5, phase1: 4, phase2: 2))
        let command = try #require(options.replayCommand(seed: 9))
        #expect(command.contains("synod sim --protocol multipaxos --nodes 5 --seed 9"))
        #expect(command.contains("--phase1-quorum 4 --phase2-quorum 2"))
        #expect(command.contains("--workload kv"))
    }

    /// The same seed gives the same run, for Multi-Paxos as for Raft.
    @Test func aSeedReplaysExactly() {
        var first = Simulation(options: Self.options(), seed: 5)
        var second = Simulation(options: Self.options(), seed: 5)
        var a: [String] = []
        var b: [String] = []
        _ = first.run { a.append($0) }
        _ = second.run { b.append($0) }
        #expect(a == b)
        #expect(a.count > 1_000)
    }
}
