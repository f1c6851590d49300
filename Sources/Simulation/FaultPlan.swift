import SynodCore

/// Which faults strike a run and how often, drawn from the profile and the seed. In
/// `swarm` the seed switches each kind on or off and picks its rate, so that across
/// seeds the mixes differ (as in FoundationDB's and TigerBeetle's simulators).
struct FaultPlan: Sendable, CustomStringConvertible {
    /// Mean time between network reconfigurations (partitions, cuts); nil: none.
    var networkEvery: TimeSpan?
    var lossRate = 0.0
    var duplicateRate = 0.0
    var spikeRate = 0.0
    /// Mean time between crashes; nil: none.
    var crashEvery: TimeSpan?
    var maxDowntime: TimeSpan = .seconds(1)
    /// Mean time between toggles of some disk between fast and slow; nil: none.
    var slowDiskEvery: TimeSpan?
    /// Chance, after a server sent messages while it still had unsynced writes, that it
    /// crashes right there: the moment where persist-before-promise matters. Crashes at
    /// points of execution rather than only at random instants, as FoundationDB's
    /// simulator does, find such windows in thousands of seeds instead of millions.
    var crashPointRate = 0.0
    /// Chance that a new leader crashes while it sends the first entries of its term,
    /// after they reached at most a minority (BUGGIFY's kind of targeted fault). Those
    /// entries then live on a minority that may or may not win the next elections: the
    /// state in which a leader that commits an earlier term's entries by counting
    /// replicas goes wrong (Raft paper, Figure 8). Drawn from a stream of its own, so
    /// that seeds without it play out as before.
    var leaderCrashRate = 0.0
    /// Of those targeted faults, the share that crash the leader (its new entries then
    /// leave with nothing); the others cut it off with a minority of the servers.
    var leaderCrashShare = 0.0
    /// Of those crashes, the share after which the servers that got the leader's first
    /// entries are cut off from the rest for a while (a ballot or term reused after the
    /// crash meets them only later). Seeds differ: some never, some nearly always.
    var recipientCutShare = 0.0
    /// Mean time between leadership transfers asked of the leader; nil: none.
    var transferEvery: TimeSpan?
    /// Share of the fault window in which clients fall silent. Idle stretches let a new
    /// leader sit without an entry of its own term: the state in which committing an
    /// earlier term's entry by counting replicas goes wrong (Raft paper, Figure 8).
    var clientIdleShare = 0.0
    /// Chance that a crash keeps a prefix of the unsynced writes rather than none.
    var crashKeepsSomeUnsynced = 0.5
    /// Chance that the last record a crash keeps is torn.
    var tornWriteRate = 0.0
    /// Mean time between bit flips in synced data, on the servers in `flipServers` (a
    /// minority, so the cluster can repair them); nil: none.
    var bitFlipEvery: TimeSpan?
    var flipServers: [Int] = []
    /// Servers whose disks lie about syncs, and how many synced records a crash may drop.
    var lyingDisks: [Int] = []
    var lieDrop = 0
    /// Mean time between power failures that crash every server at once; nil: none.
    var powerFailureEvery: TimeSpan?
    /// Mean time between clock faults (the leader cut off, clocks beyond the drift
    /// bound); nil: none.
    var clockFaultEvery: TimeSpan?
    /// Mean time between cutting the leader off while its clock runs as slow, and the
    /// others' as fast, as the lease's drift bound allows (`swarm` with lease reads);
    /// nil: never. A lease that ignores drift serves stale reads under it.
    var clockEdgeEvery: TimeSpan?
    /// Chance, at each slow-disk toggle, that a disk also stops writing (full, or its
    /// sync hangs) for a while, on the leader half the time; one such failure may
    /// outlast the heal, and the others must then lead without that server. Drawn, as
    /// the failures themselves, from streams of their own (`diskFailureSeed`), so that
    /// seeds without it play out as before.
    var diskFailureRate = 0.0
    /// Of those failures, the share that are a full disk (the others: a hung sync).
    var diskFullShare = 0.0
    var diskFailureSeed: UInt64 = 0

    /// The plan of `profile` for a cluster of `nodes`. `targeted` draws the targeted
    /// faults, apart from `random`, so that adding one leaves the other draws alone.
    init(profile: FaultProfile, nodes: Int, random: inout SeededGenerator, targeted: inout SeededGenerator) {
        self.init(profile: profile, nodes: nodes, random: &random)
        // Seeded from a copy of `targeted`, which therefore draws as before.
        var copy = targeted
        var failures = SeededGenerator(seed: copy.next(), stream: 8)
        diskFailureSeed = failures.next()
        if profile == .disk || profile == .swarm, slowDiskEvery != nil, failures.chance(0.5) {
            diskFailureRate = Double(50 + failures.next(upperBound: 251 as UInt64)) / 1_000
            diskFullShare = Double(failures.next(upperBound: 101 as UInt64)) / 100
        }
        if profile == .swarm, nodes >= 3, targeted.chance(0.5) {
            leaderCrashRate = Double(200 + targeted.next(upperBound: 601 as UInt64)) / 1_000
            leaderCrashShare = Double(targeted.next(upperBound: 101 as UInt64)) / 100
            recipientCutShare = Double(targeted.next(upperBound: 101 as UInt64)) / 100
        }
    }

    init(profile: FaultProfile, nodes: Int, random: inout SeededGenerator) {
        let minority = (nodes - 1) / 2
        switch profile {
        case .none:
            break
        case .network:
            networkEvery = random.span(.milliseconds(200), .milliseconds(1_500))
            lossRate = Double(random.next(upperBound: 50 as UInt64)) / 1_000
            duplicateRate = Double(random.next(upperBound: 20 as UInt64)) / 1_000
            spikeRate = Double(random.next(upperBound: 50 as UInt64)) / 1_000
        case .crash:
            crashEvery = random.span(.milliseconds(300), .seconds(2))
            maxDowntime = random.span(.milliseconds(50), .seconds(2))
            slowDiskEvery = random.span(.milliseconds(500), .seconds(3))
            crashPointRate = Double(random.next(upperBound: 20 as UInt64)) / 1_000
        case .disk:
            crashEvery = random.span(.milliseconds(200), .seconds(2))
            maxDowntime = random.span(.milliseconds(50), .seconds(1))
            crashPointRate = Double(random.next(upperBound: 30 as UInt64)) / 1_000
            slowDiskEvery = random.span(.milliseconds(500), .seconds(3))
            tornWriteRate = 0.5
            if minority > 0 {
                bitFlipEvery = random.span(.milliseconds(100), .seconds(1))
                flipServers = Self.pick(1 + Int(random.next(upperBound: UInt64(minority))), of: nodes, &random)
            }
        case .diskMajority:
            crashEvery = random.span(.milliseconds(100), .milliseconds(600))
            maxDowntime = random.span(.milliseconds(20), .milliseconds(300))
            tornWriteRate = 0.5
            lyingDisks = Self.pick(nodes / 2 + 1, of: nodes, &random)
            lieDrop = 1 + Int(random.next(upperBound: 16 as UInt64))
            powerFailureEvery = random.span(.milliseconds(300), .milliseconds(1_500))
        case .clockBoundBroken:
            clockFaultEvery = random.span(.milliseconds(200), .seconds(1))
        case .swarm:
            if random.chance(0.7) { networkEvery = random.span(.milliseconds(20), .seconds(2)) }
            if random.chance(0.5) { lossRate = Double(random.next(upperBound: 100 as UInt64)) / 1_000 }
            if random.chance(0.4) { duplicateRate = Double(random.next(upperBound: 50 as UInt64)) / 1_000 }
            if random.chance(0.5) { spikeRate = Double(random.next(upperBound: 100 as UInt64)) / 1_000 }
            if random.chance(0.6) {
                crashEvery = random.span(.milliseconds(50), .seconds(3))
                maxDowntime = random.span(.milliseconds(20), .seconds(3))
                if random.chance(0.7) { crashPointRate = Double(random.next(upperBound: 100 as UInt64)) / 1_000 }
            }
            if random.chance(0.4) { slowDiskEvery = random.span(.milliseconds(200), .seconds(3)) }
            if random.chance(0.3) { transferEvery = random.span(.milliseconds(200), .seconds(2)) }
            crashKeepsSomeUnsynced = Double(random.next(upperBound: 101 as UInt64)) / 100
            if random.chance(0.5) { tornWriteRate = Double(random.next(upperBound: 101 as UInt64)) / 100 }
            if minority > 0, random.chance(0.3) {
                bitFlipEvery = random.span(.milliseconds(100), .seconds(2))
                flipServers = Self.pick(1 + Int(random.next(upperBound: UInt64(minority))), of: nodes, &random)
            }
            if random.chance(0.7) { clientIdleShare = Double(random.next(upperBound: 90 as UInt64)) / 100 }
            if networkEvery == nil && crashEvery == nil && lossRate == 0 && slowDiskEvery == nil {
                networkEvery = .milliseconds(500)
            }
        }
    }

    /// `count` distinct server slots, in increasing order.
    static func pick(_ count: Int, of nodes: Int, _ random: inout SeededGenerator) -> [Int] {
        var slots = Array(0..<nodes)
        slots.shuffle(using: &random)
        return Array(slots.prefix(count)).sorted()
    }

    var description: String {
        var parts: [String] = []
        if let networkEvery { parts.append("network every ~\(networkEvery)") }
        if lossRate > 0 { parts.append("loss \(lossRate)") }
        if duplicateRate > 0 { parts.append("duplication \(duplicateRate)") }
        if spikeRate > 0 { parts.append("delay spikes \(spikeRate)") }
        if let crashEvery { parts.append("crash every ~\(crashEvery) (down up to \(maxDowntime))") }
        if clientIdleShare > 0 { parts.append("clients idle \(Int(clientIdleShare * 100))% of the time") }
        if crashPointRate > 0 { parts.append("crash after unsynced sends \(crashPointRate)") }
        if leaderCrashRate > 0 { parts.append("new leader crash at its first entries \(leaderCrashRate)") }
        if let slowDiskEvery { parts.append("slow disks every ~\(slowDiskEvery)") }
        if diskFailureRate > 0 {
            parts.append("disks failing \(diskFailureRate) (full \(Int(diskFullShare * 100))%, else a hung sync)")
        }
        if let transferEvery { parts.append("leadership transfers every ~\(transferEvery)") }
        if tornWriteRate > 0 { parts.append("torn last records \(tornWriteRate)") }
        if let bitFlipEvery {
            parts.append("bit flips every ~\(bitFlipEvery) on servers \(flipServers.map { $0 + 1 })")
        }
        if let powerFailureEvery { parts.append("power failures every ~\(powerFailureEvery)") }
        if let clockFaultEvery { parts.append("clocks beyond their bound every ~\(clockFaultEvery)") }
        if let clockEdgeEvery { parts.append("clocks at the edge of their bound every ~\(clockEdgeEvery)") }
        if !lyingDisks.isEmpty {
            parts.append("lying disks on servers \(lyingDisks.map { $0 + 1 }) (drop up to \(lieDrop))")
        }
        return parts.isEmpty ? "no faults" : parts.joined(separator: ", ")
    }
}

extension FaultPlan {
    /// Multi-Paxos runs every fault but those that need what only the Raft core models:
    /// leadership transfer, and storage damage beyond lost unsynced writes (torn records,
    /// bit flips, lying disks), which Raft survives by catching up as a non-voter.
    mutating func leaveOutRaftOnlyFaults() {
        transferEvery = nil
        tornWriteRate = 0
        bitFlipEvery = nil
        flipServers = []
        lyingDisks = []
        lieDrop = 0
    }
}

extension FaultPlan {
    /// Whether a random crash may strike while `down` of `count` servers are down: a
    /// majority stays up so that a run makes progress (safety must hold either way).
    static func mayCrash(down: Int, of count: Int) -> Bool {
        down < (count - 1) / 2 || (count <= 2 && down == 0)
    }

    /// How long a server crashed at a point of execution stays down: back before the
    /// messages in flight land (they meet what it forgot), or soon, or only after the
    /// others had time to elect someone else. Shared by both simulators.
    static func crashPointDowntime(_ random: inout SeededGenerator) -> TimeSpan {
        switch random.next(upperBound: 3 as UInt64) {
        case 0: random.span(.microseconds(20), .microseconds(500))
        case 1: random.span(.microseconds(500), .milliseconds(50))
        default: random.span(.milliseconds(100), .seconds(1))
        }
    }
}
