import SynodCore

/// The links between nodes: which are up (per direction), how long a message takes on
/// each, and the current rates of loss and duplication. Partitions, one-way cuts and
/// partial connectivity are all just sets of links that are down.
struct SimulatedNetwork: Sendable {
    let size: Int
    /// `down[from * size + to]` (0-based slots): messages on that link are dropped.
    var down: [Bool]
    /// Each link's own base latency, fixed for the run.
    var baseLatency: [TimeSpan]
    var jitter: TimeSpan = .microseconds(100)
    var lossRate = 0.0
    var duplicateRate = 0.0
    /// Chance that a message is delayed by up to `spikeLatency` more (reorders it).
    var spikeRate = 0.0
    var spikeLatency: TimeSpan = .milliseconds(20)
    /// Links with a bandwidth limit, in bytes per second, and when each is free to send
    /// again: a message waits for those before it and then takes its size over the limit,
    /// as on a slow WAN link. No link has one unless a test sets it.
    var bandwidth: [Int: Int] = [:]
    var busyUntil: [Int: Instant] = [:]

    init(size: Int, random: inout SeededGenerator) {
        self.size = size
        down = Array(repeating: false, count: size * size)
        baseLatency = (0..<(size * size)).map { _ in random.span(.microseconds(50), .microseconds(300)) }
    }

    @inline(__always)
    func isDown(from: NodeID, to: NodeID) -> Bool { down[(from.rawValue - 1) * size + to.rawValue - 1] }

    mutating func setDown(from: NodeID, to: NodeID, _ value: Bool) {
        down[(from.rawValue - 1) * size + to.rawValue - 1] = value
    }

    var downLinkCount: Int { down.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// How long a message sent now on this link takes.
    func latency(from: NodeID, to: NodeID, random: inout SeededGenerator) -> TimeSpan {
        var latency = baseLatency[(from.rawValue - 1) * size + to.rawValue - 1] + random.span(.zero, jitter)
        if random.chance(spikeRate) { latency = latency + random.span(.zero, spikeLatency) }
        return latency
    }

    /// Cuts every link between the two groups, both ways.
    mutating func partition(_ side: [NodeID], _ other: [NodeID]) {
        for a in side {
            for b in other {
                setDown(from: a, to: b, true)
                setDown(from: b, to: a, true)
            }
        }
    }

    /// When a message sent now arrives: nil when it is lost or its link is down, and a
    /// second delay when it is duplicated. A node's message to itself is never lost.
    func arrivals(from: NodeID, to: NodeID, random: inout SeededGenerator) -> (TimeSpan, again: TimeSpan?)? {
        let local = from == to
        if !local, isDown(from: from, to: to) || random.chance(lossRate) { return nil }
        let first = latency(from: from, to: to, random: &random)
        guard !local, random.chance(duplicateRate) else { return (first, nil) }
        return (first, latency(from: from, to: to, random: &random))
    }

    func link(from: NodeID, to: NodeID) -> Int { (from.rawValue - 1) * size + to.rawValue - 1 }

    /// How long a message of `bytes` sent now waits on a bandwidth-limited link before
    /// its latency starts (zero on a link without a limit), and marks the link busy.
    mutating func queueing(from: NodeID, to: NodeID, bytes: Int, at now: Instant) -> TimeSpan {
        let key = link(from: from, to: to)
        guard let rate = bandwidth[key], rate > 0 else { return .zero }
        let start = max(now, busyUntil[key] ?? now)
        let done = start + TimeSpan(nanoseconds: Int64(bytes) * 1_000_000_000 / Int64(rate))
        busyUntil[key] = done
        return done - now
    }

    mutating func healLinks() {
        for i in down.indices { down[i] = false }
    }

    mutating func calm() {
        lossRate = 0
        duplicateRate = 0
        spikeRate = 0
    }
}
