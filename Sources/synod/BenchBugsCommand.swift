import ArgumentParser
import Foundation
import Paxos
import Raft
import Replication
import Simulation
import SynodCore

/// `synod bench bugs`: how fast the simulator finds each planted bug. A simulator earns
/// trust by finding bugs in few seeds; each bug runs on its documented profile, and the
/// same seeds run without the bug as a control, which must stay clean (a profile that
/// fails without the bug proves nothing).
struct BenchBugsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bugs",
        abstract: "For every planted bug: the first failing seed and the share of seeds that catch it.",
        discussion: """
            Prints one line per bug, exactly:
              NAME: first failing seed S, P% of seeds 1-N; control C% (PROFILE)
            where S is 'none' when no seed fails, PROFILE the synod sim options used, and C
            the failing share of the same seeds and profile without the bug. Exit 1 when a
            control seed fails. Build in release mode: swift run -c release synod bench bugs
            """
    )

    @Option(
        parsing: .unconditional, help: "Seeds 1...N for every bug and its control (N at most 100000). (default: 200)",
        transform: Limit.whole(1...100_000))
    var seeds = 200

    @Option(help: "Only these bugs (repeatable); all by default.")
    var bug: [String] = []

    func validate() throws {
        let known = PlantedBug.all.map(\.name)
        for name in bug where !known.contains(name) {
            throw ValidationError("Unknown bug '\(name)'; known: \(known.joined(separator: ", ")).")
        }
    }

    func run() throws {
        var output = StandardStream.output
        var controlFailed = false
        for planted in PlantedBug.all where bug.isEmpty || bug.contains(planted.name) {
            let count = seeds
            let results = parallelMap(2 * count) { index in
                planted.fails(UInt64(index % count + 1), index < count)
            }
            let buggy = results[..<count]
            let control = results[count...]
            let first = buggy.firstIndex(of: true).map { "\($0 + 1)" } ?? "none"
            let share = percent(buggy.count { $0 }, of: count)
            let controlShare = percent(control.count { $0 }, of: count)
            if control.contains(true) { controlFailed = true }
            print(
                "\(planted.name): first failing seed \(first), \(share)% of seeds 1-\(count); control \(controlShare)% (\(planted.profile))",
                to: &output)
        }
        if controlFailed { throw ExitCode(1) }
    }

    private func percent(_ part: Int, of whole: Int) -> String {
        let value = 100 * Double(part) / Double(whole)
        return value == value.rounded() ? "\(Int(value))" : String(format: "%.1f", value)
    }
}

/// A deliberate bug and the `synod sim` profile that should catch it.
struct PlantedBug: Sendable {
    var name: String
    /// The `synod sim` options of the profile, as a user would type them.
    var profile: String
    var fails: @Sendable (_ seed: UInt64, _ withBug: Bool) -> Bool

    static var all: [PlantedBug] {
        [
            raft(.commitPreviousTerm, faults: .swarm),
            raft(.noSyncBeforeVote, faults: .swarm),
            raft(.voteAfterDataLoss, faults: .disk, nodes: 3),
            lease(.leaseIgnoresDrift, drift: 300_000),
            singleDecree(.replyBeforePersist),
            singleDecree(.ignoreAccepted),
            multiPaxos(.prepareBeforePromiseSynced),
            replica(.batchReplyBeforeCommit),
            replica(.forwardRetryWithoutSession),
            replica(.readBeforeApply),
        ]
    }

    static func raft(_ bug: RaftBug, faults: FaultProfile, nodes: Int = 5) -> PlantedBug {
        var profile = "--faults \(faults.rawValue)"
        if nodes != 5 { profile += " --nodes \(nodes)" }
        return simulated(bug.rawValue, profile, SimulationOptions(nodes: nodes, faults: faults)) {
            $0.raft.bugs = [bug]
        }
    }

    /// Lease reads under clocks that drift as far as the lease allows for: the bug shows
    /// only when the drift is large beside the time an election takes.
    static func lease(_ bug: RaftBug, drift: Int) -> PlantedBug {
        var options = SimulationOptions(faults: .swarm)
        options.workload = KVWorkload(readMode: .lease)
        options.raft.maxClockDriftPPM = drift
        let profile = "--workload kv --read-mode lease --faults swarm --clock-drift \(drift)"
        return simulated(bug.rawValue, profile, options) { $0.raft.bugs = [bug] }
    }

    static func singleDecree(_ bug: SingleDecree.Bug) -> PlantedBug {
        PlantedBug(name: bug.rawValue, profile: "--protocol paxos --faults swarm") { seed, withBug in
            var options = SingleDecreeOptions(faults: .swarm)
            if withBug { options.bugs = [bug] }
            var simulation = SingleDecreeSimulation(options: options, seed: seed)
            return simulation.run().violation != nil
        }
    }

    /// At 1,000 proposals a second a new leader sends its first entries before its own
    /// promise is synced often enough for the targeted crash to strike in between.
    static func multiPaxos(_ bug: MultiPaxosBug) -> PlantedBug {
        var options = SimulationOptions(faults: .swarm, proposalsPerSecond: 1_000)
        options.consensus = .multiPaxos(PaxosQuorums(nodes: options.nodes))
        return simulated(bug.rawValue, "--protocol multipaxos --faults swarm --rate 1000", options) {
            $0.multiPaxos.bugs = [bug]
        }
    }

    static func replica(_ bug: ReplicaBug) -> PlantedBug {
        var options = SimulationOptions(faults: .swarm)
        options.workload = KVWorkload()
        return simulated(bug.rawValue, "--workload kv --faults swarm", options) { $0.replicaBugs = [bug] }
    }

    /// A bug of the cluster simulator: `options` is the profile, `plant` adds the bug.
    static func simulated(
        _ name: String, _ profile: String, _ options: SimulationOptions,
        plant: @escaping @Sendable (inout SimulationOptions) -> Void
    ) -> PlantedBug {
        PlantedBug(name: name, profile: profile) { seed, withBug in
            var options = options
            if withBug { plant(&options) }
            var simulation = Simulation(options: options, seed: seed)
            return simulation.run().violation != nil
        }
    }
}
