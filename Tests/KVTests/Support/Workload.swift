import KV
import SynodCore

/// A random history of committed entries from a few clients that open sessions, retry,
/// send stale sequences, go idle past the timeout, and whose leaders' clocks disagree
/// (stamped times sometimes go back). `nil` stands for a leader's no-op.
struct Workload {
    var entries: [KVRequest?] = []
    /// The reply to each entry when applied from an empty store; `nil` for no-ops.
    var replies: [KVReply?] = []
    var snapshots: [[UInt8]] = []

    static let sessionTimeout = TimeSpan.seconds(30)

    init(seed: UInt64, count: Int) {
        var random = SeededGenerator(seed: seed)
        var store = KVStore(sessionTimeout: Self.sessionTimeout)
        var clients: [(session: UInt64, sequence: UInt64)] = []
        var seconds: Int64 = 0
        for position in 1...count {
            let index = LogIndex(UInt64(position))
            seconds += random.chance(0.1) ? -Int64(random.int(0...25)) : Int64(random.int(0...4))
            let time = Instant.seconds(seconds)
            let request: KVRequest?
            let roll = random.int(0...99)
            if roll < 5 {
                request = nil
            } else if roll < 15 || clients.isEmpty {
                request = .openSession(time: time)
            } else if roll < 25 {
                request = KVRequest(command: random.command(), time: time)
            } else if roll < 30 {
                request = KVRequest(session: random.uint64(), sequence: 1, command: random.command(), time: time)
            } else {
                let client = random.int(0...(clients.count - 1))
                let step: UInt64 = random.pick([0, 0, 1, 1, 1, 1, 1, 2])
                if clients[client].sequence + step == 0 { clients[client].sequence = 1 }
                clients[client].sequence += step
                let stale = random.chance(0.05) && clients[client].sequence > 1
                let sequence = stale ? clients[client].sequence - 1 : clients[client].sequence
                var command = random.command()
                if command == .openSession { command = .get(key: "a") }
                request = KVRequest(
                    session: clients[client].session, sequence: sequence, command: command, time: time)
            }
            let reply: KVReply?
            if let request {
                reply = store.apply(request, at: index)
                if case .sessionOpened(let id) = reply { clients.append((id, 0)) }
            } else {
                reply = nil
                store.applyNoop(at: index)
            }
            entries.append(request)
            replies.append(reply)
            snapshots.append(store.snapshot())
        }
    }
}
