import Raft
import SynodCore

/// The cluster at one instant, as a timeline draws it.
public struct Sample: Sendable {
    public var time: Instant
    /// Each server's role, nil while it is down.
    public var roles: [RaftRole?]
    public var terms: [Term]
    /// For each server, how many of its links (either direction) are cut.
    public var cutLinks: [Int]
}

extension Simulation {
    /// Records a `Sample` every `interval` of virtual time from now on.
    public mutating func sample(every interval: TimeSpan) {
        sampleInterval = interval
        nextSample = now
    }

    mutating func takeSamples(until time: Instant, every interval: TimeSpan) {
        while nextSample <= time {
            var roles: [RaftRole?] = []
            var terms: [Term] = []
            var cuts: [Int] = []
            for (slot, id) in members.enumerated() {
                if isMultiPaxos {
                    roles.append(isUp[slot] ? Self.raftRole(of: paxos[slot]!.consensus.role) : nil)
                    terms.append(isUp[slot] ? Term(paxos[slot]!.consensus.promised.round) : disks[slot].hardState.term)
                } else {
                    roles.append(isUp[slot] ? servers[slot]!.consensus.role : nil)
                    terms.append(isUp[slot] ? servers[slot]!.consensus.term : disks[slot].hardState.term)
                }
                var cut = 0
                for other in members where other != id {
                    if network.isDown(from: id, to: other) || network.isDown(from: other, to: id) { cut += 1 }
                }
                cuts.append(cut)
            }
            samples.append(Sample(time: nextSample, roles: roles, terms: terms, cutLinks: cuts))
            nextSample += interval
        }
    }
}
