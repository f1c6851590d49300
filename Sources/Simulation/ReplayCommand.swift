import Paxos
import Raft
import Replication
import SynodCore

extension SimulationOptions {
    /// The `synod sim` command that reruns `seed` alone under these options, as the
    /// command line prints it after a failing seed; nil when the options hold
    /// something the command line cannot say. It names the node count, fault profile,
    /// duration, election safeguards, proposal rate and clock-drift bound (each if not
    /// the default) and bugs; everything else must keep its default.
    public func replayCommand(seed: UInt64) -> String? {
        let defaults = SimulationOptions()
        var expressible = SimulationOptions(
            nodes: nodes, duration: duration, faults: faults, proposalsPerSecond: proposalsPerSecond)
        expressible.raft.elections = raft.elections
        expressible.raft.bugs = raft.bugs
        expressible.raft.maxClockDriftPPM = raft.maxClockDriftPPM
        expressible.replicaBugs = replicaBugs
        expressible.multiPaxos.bugs = multiPaxos.bugs
        expressible.consensus = consensus
        if let workload { expressible.workload = KVWorkload(readMode: workload.readMode) }
        guard workload.map({ expressible.workload! == $0 }) ?? true else { return nil }
        guard expressible.livenessBound == livenessBound, expressible.maxClockDriftPPM == maxClockDriftPPM,
            expressible.raft == raft, expressible.measureFrom == measureFrom,
            expressible.availabilityBound == availabilityBound, expressible.compactEvery == compactEvery,
            expressible.snapshotChunkSize == snapshotChunkSize, expressible.multiPaxos == multiPaxos
        else { return nil }
        var words = [
            "swift run -c release synod sim", "--nodes \(nodes)", "--seed \(seed)", "--faults \(faults.rawValue)",
            "--duration \(duration)",
        ]
        if case .multiPaxos(let quorums) = consensus {
            words.insert("--protocol multipaxos", at: 1)
            let majority = PaxosQuorums(nodes: nodes)
            if quorums.phase1 != majority.phase1 { words.append("--phase1-quorum \(quorums.phase1)") }
            if quorums.phase2 != majority.phase2 { words.append("--phase2-quorum \(quorums.phase2)") }
        }
        if raft.elections != defaults.raft.elections { words.append("--config \(raft.elections.rawValue)") }
        if proposalsPerSecond != defaults.proposalsPerSecond { words.append("--rate \(proposalsPerSecond)") }
        if raft.maxClockDriftPPM != defaults.raft.maxClockDriftPPM {
            words.append("--clock-drift \(raft.maxClockDriftPPM)")
        }
        if let workload {
            words.append("--workload kv")
            if workload.readMode != KVWorkload().readMode { words.append("--read-mode \(workload.readMode.rawValue)") }
        }
        let bugs = raft.bugs.map(\.rawValue) + replicaBugs.map(\.rawValue) + multiPaxos.bugs.map(\.rawValue)
        words += bugs.sorted().map { "--bug \($0)" }
        return words.joined(separator: " ")
    }
}
