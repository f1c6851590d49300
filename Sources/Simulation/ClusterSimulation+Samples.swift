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

extension ClusterSimulation {
    /// Records a `Sample` every `interval` of virtual time from now on.
    mutating func sample(every interval: TimeSpan) {
        sampleInterval = interval
        nextSample = now
    }

    mutating func takeSamples(until time: Instant, every interval: TimeSpan) {
        while nextSample <= time {
            var roles: [RaftRole?] = []
            var terms: [Term] = []
            var cuts: [Int] = []
            for (slot, id) in members.enumerated() {
                let observed = isUp[slot] ? Self.observe(&servers[slot]!) : nil
                roles.append(observed?.role)
                terms.append(observed?.term ?? disks[slot].hardState.term)
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
