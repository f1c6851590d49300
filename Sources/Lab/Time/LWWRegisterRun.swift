import Checker
import Simulation
import SynodCore

/// The book's clock-skew scenario, run: three replicas of a last-write-wins register,
/// clients that hop between them reading and writing, and replicas that gossip every
/// write to the others. Each server's physical clock is off by up to 50 ms. A write's
/// causal past is what its server and its client had seen; `CausalWriteCheck` then
/// asks whether any write lost to one it causally follows.
struct LWWRegisterRun {
    /// How a replica stamps a write.
    enum Stamping: String, CaseIterable, Sendable {
        case wallClock = "wall-clock"
        case lamport
        case hybrid

        var summary: String {
            switch self {
            case .wallClock: "writes stamped with the server's wall clock"
            case .lamport: "writes stamped by a Lamport Clock, merged on every message and client request"
            case .hybrid: "writes stamped by a Hybrid Clock, merged on every message and client request"
            }
        }
    }

    /// A register stamp: the clock's value, a counter (hybrid only), and the replica
    /// that made it, so that two writes never tie.
    struct Stamp: Comparable, Hashable, Sendable {
        var primary: Int64
        var secondary: UInt32
        var replica: Int

        static func < (lhs: Stamp, rhs: Stamp) -> Bool {
            (lhs.primary, lhs.secondary, lhs.replica) < (rhs.primary, rhs.secondary, rhs.replica)
        }
    }

    enum Event: Sendable {
        case clientNext(client: Int)
        case request(client: Int, replica: Int, write: Bool)
        case reply(client: Int, stamp: Stamp?, knowledge: Set<Int>)
        case replicate(to: Int, write: Int, stamp: Stamp, past: Set<Int>)
    }

    static let replicas = 3
    static let clients = 4
    static let duration = TimeSpan.seconds(2)
    static let maxSkew = TimeSpan.milliseconds(50)

    let stamping: Stamping
    let seed: UInt64
    var random: SeededGenerator
    var clocks: [PhysicalClock]
    var lamport = [LamportClock](repeating: LamportClock(), count: replicas)
    var hybrid = [HybridClock](repeating: HybridClock(maxOffset: .milliseconds(500)), count: replicas)
    /// Each replica's current write and its stamp.
    var held = [(write: Int, stamp: Stamp)?](repeating: nil, count: replicas)
    /// The writes each replica, and each client, has seen: its causal past so far.
    var known = [Set<Int>](repeating: [], count: replicas)
    var clientKnown = [Set<Int>](repeating: [], count: clients)
    /// The highest stamp each client has seen, carried to the next server it asks.
    var clientStamp = [Stamp?](repeating: nil, count: clients)
    var writes: [CausalWrite<Stamp>] = []
    var queue = EventQueue<Event>()
    var now = Instant.zero
    var refused = 0

    init(stamping: Stamping, seed: UInt64) {
        self.stamping = stamping
        self.seed = seed
        random = SeededGenerator(seed: seed, stream: 31)
        var clockRandom = SeededGenerator(seed: seed, stream: 32)
        clocks = (0..<Self.replicas).map { _ in
            PhysicalClock.withinBound(Self.maxSkew, for: Self.duration, random: &clockRandom)
        }
    }

    mutating func run() -> TimeRunResult {
        for client in 0..<Self.clients { queue.schedule(at: .zero, .clientNext(client: client)) }
        while let event = queue.next() {
            now = event.time
            handle(event.kind)
        }
        var result = TimeRunResult(seed: seed, epsilon: Self.maxSkew)
        result.finished = writes.count
        result.refused = refused
        result.violation = CausalWriteCheck.check(writes: writes, settled: held.map { $0?.write })?.description
        return result
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .clientNext(let client):
            guard now < .zero + Self.duration else { return }
            let replica = Int(random.next(upperBound: UInt64(Self.replicas)))
            queue.schedule(
                at: now + latency(), .request(client: client, replica: replica, write: random.chance(0.5)))
        case .request(let client, let replica, let write):
            known[replica].formUnion(clientKnown[client])
            if let carried = clientStamp[client] { merge(carried, into: replica) }
            var stamp = held[replica]?.stamp
            if write {
                let id = writes.count + 1
                let made = makeStamp(at: replica)
                writes.append(CausalWrite(id: id, stamp: made, past: known[replica]))
                known[replica].insert(id)
                apply(id, made, at: replica)
                stamp = made
                for other in 0..<Self.replicas where other != replica {
                    queue.schedule(
                        at: now + random.span(.milliseconds(1), .milliseconds(10)),
                        .replicate(to: other, write: id, stamp: made, past: known[replica]))
                }
            }
            queue.schedule(at: now + latency(), .reply(client: client, stamp: stamp, knowledge: known[replica]))
        case .reply(let client, let stamp, let knowledge):
            clientKnown[client].formUnion(knowledge)
            if let stamp, clientStamp[client].map({ stamp > $0 }) ?? true { clientStamp[client] = stamp }
            queue.schedule(at: now + random.span(.zero, .milliseconds(20)), .clientNext(client: client))
        case .replicate(let replica, let write, let stamp, let past):
            known[replica].formUnion(past)
            merge(stamp, into: replica)
            apply(write, stamp, at: replica)
        }
    }

    /// Last write wins: the higher stamp stays.
    mutating func apply(_ write: Int, _ stamp: Stamp, at replica: Int) {
        if held[replica].map({ stamp > $0.stamp }) ?? true { held[replica] = (write, stamp) }
    }

    mutating func makeStamp(at replica: Int) -> Stamp {
        switch stamping {
        case .wallClock:
            return Stamp(primary: clocks[replica].read(now).nanoseconds, secondary: 0, replica: replica)
        case .lamport:
            return Stamp(primary: Int64(lamport[replica].tick()), secondary: 0, replica: replica)
        case .hybrid:
            let stamp = hybrid[replica].now(physical: clocks[replica].read(now))
            return Stamp(primary: stamp.wallTime.nanoseconds, secondary: stamp.logical, replica: replica)
        }
    }

    /// A message or request carrying `stamp` arrived: logical clocks move past it; a wall
    /// clock cannot.
    mutating func merge(_ stamp: Stamp, into replica: Int) {
        switch stamping {
        case .wallClock:
            break
        case .lamport:
            _ = lamport[replica].receive(UInt64(stamp.primary))
        case .hybrid:
            let remote = HybridTimestamp(wallTime: WallTime(nanoseconds: stamp.primary), logical: stamp.secondary)
            do {
                _ = try hybrid[replica].update(with: remote, physical: clocks[replica].read(now))
            } catch {
                refused += 1
            }
        }
    }

    mutating func latency() -> TimeSpan { random.span(.microseconds(500), .milliseconds(2)) }
}
