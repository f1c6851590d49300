import ArgumentParser
import Paxos
import Raft
import Replication
import Simulation
import SynodCore

/// `synod sim --protocol paxos`: many independent single-decree instances per seed,
/// with competing proposers, under the fault profile; checked for agreement and
/// validity after every message.
extension SimCommand {
    /// The `--bug` names the chosen protocol knows, and the flags it can honour; anything
    /// else is a usage error.
    func validateForProtocol() throws {
        let known: [String]
        switch `protocol` {
        case .raft: known = RaftBug.allCases.map(\.rawValue) + ReplicaBug.allCases.map(\.rawValue)
        case .paxos: known = SingleDecree.Bug.allCases.map(\.rawValue)
        case .multipaxos: known = MultiPaxosBug.allCases.map(\.rawValue) + ReplicaBug.allCases.map(\.rawValue)
        }
        for bug in bugs where !known.contains(bug) {
            throw ValidationError(
                "Unknown bug '\(bug)' for --protocol \(`protocol`.rawValue); known: "
                    + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ".")
        }
        for bug in bugs where ReplicaBug(rawValue: bug) != nil && workload != .kv {
            throw ValidationError("--bug \(bug) lives in the replica layer, which only --workload kv exercises.")
        }
        if `protocol` == .paxos {
            if workload != .proposals || history != nil {
                throw ValidationError("--workload and --history need --protocol raft.")
            }
            if config != RaftConfiguration().elections {
                throw ValidationError("--config (election safeguards) needs --protocol raft.")
            }
            if faults == .disk || faults == .diskMajority {
                // The single-decree disk loses unsynced writes on a crash but has no
                // torn records, bit flips or lying syncs: a clean run would claim too much.
                throw ValidationError(
                    "--faults \(faults.rawValue) needs --protocol raft; paxos takes none, network, crash or swarm.")
            }
            if rate != SimulationOptions().proposalsPerSecond {
                throw ValidationError("--rate needs --protocol raft (paxos runs a fixed set of instances).")
            }
        }
    }

    var raftBugs: [RaftBug] { bugs.compactMap(RaftBug.init(rawValue:)) }

    var singleDecreeOptions: SingleDecreeOptions {
        get throws {
            var options = SingleDecreeOptions(
                nodes: nodes, duration: duration, faults: faults, quorums: try quorums.quorums(nodes: nodes))
            options.bugs = Set(bugs.compactMap(SingleDecree.Bug.init(rawValue:)))
            return options
        }
    }

    func runPaxos() throws {
        let options = try singleDecreeOptions
        let seedList: [UInt64] = seed.map { [$0] } ?? Array(1...UInt64(seeds ?? 100))
        var output = StandardStream.output
        print(PaxosSummary.header(options, seeds: seedList), to: &output)

        let reports: [SingleDecreeReport]
        if trace {
            let traceOutput = BufferedOutput()
            var simulation = SingleDecreeSimulation(options: options, seed: seedList[0])
            reports = [simulation.run(trace: { traceOutput.writeLine($0) })]
            traceOutput.flush()
        } else {
            reports = parallelMap(seedList.count) { index in
                var simulation = SingleDecreeSimulation(options: options, seed: seedList[index])
                return simulation.run()
            }
        }
        for report in reports {
            guard let violation = report.violation else { continue }
            print("seed \(report.seed): \(violation)", to: &output)
            print("replay: \(options.replayCommand(seed: report.seed)!)", to: &output)
        }
        print(PaxosSummary(reports: reports, faults: faults).lines.joined(separator: "\n"), to: &output)
        if reports.contains(where: { $0.violation != nil }) { throw ExitCode(1) }
    }
}

/// The closing lines of `synod sim --protocol paxos`. The last two have the format of
/// Raft's summary: `commits` counts instances with a chosen value and `elections` the
/// ballots (phase-1 rounds) tried, Paxos's elections.
struct PaxosSummary {
    let reports: [SingleDecreeReport]
    let faults: FaultProfile

    static func header(_ options: SingleDecreeOptions, seeds: [UInt64]) -> String {
        let which = seeds.count == 1 ? "seed \(seeds[0])" : "seeds \(seeds[0])...\(seeds[seeds.count - 1])"
        var line =
            "synod sim --protocol paxos: \(options.nodes) nodes, quorums \(options.quorums), faults \(options.faults.rawValue), "
            + "\(options.duration) virtual time per seed, \(which), "
            + "\(options.instances) instances of \(options.proposersPerInstance) competing proposers"
        if !options.bugs.isEmpty { line += ", bugs: " + options.bugs.map(\.rawValue).sorted().joined(separator: ", ") }
        return line
    }

    var lines: [String] {
        let failures = reports.compactMap(\.violation)
        var lines = Summary.opening(
            faults: faults, seeds: reports.count, virtualTime: reports.reduce(Int64(0)) { $0 + $1.endTime.nanoseconds },
            violations: failures)
        let instances = reports.reduce(0) { $0 + $1.instances }
        let chosen = reports.reduce(0) { $0 + $1.chosen }
        let ballots = reports.reduce(0) { $0 + $1.ballots }
        var figures = "instances chosen: \(chosen) of \(instances)"
        if instances > 0 {
            figures += ", ballots per instance: \(formatFixed(Double(ballots) / Double(instances), decimals: 2))"
        }
        let times = reports.flatMap(\.timesToChoose).map(\.milliseconds).sorted()
        if !times.isEmpty {
            figures +=
                ", first proposal to chosen: median \(formatFixed(times[times.count / 2], decimals: 2)) ms, "
                + "p99 \(formatFixed(times[min(times.count - 1, times.count * 99 / 100)], decimals: 2)) ms"
        }
        lines.append(figures)
        let events = reports.reduce(0) { $0 + $1.events }
        let faultCount = reports.reduce(0) { $0 + $1.faults }
        lines.append("events: \(events), faults: \(faultCount), commits: \(chosen), elections: \(ballots)")
        lines.append("seeds: \(reports.count), violations: \(failures.count)")
        return lines
    }
}
