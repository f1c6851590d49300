import Raft
import SynodCore

/// Simulated clients: a steady stream of proposals, each sent to the server believed to
/// lead, following leader hints and retrying a few times when refused or unanswered.
extension Simulation {
    static let maxAttempts = 5

    var proposalInterval: TimeSpan {
        TimeSpan(nanoseconds: 1_000_000_000 / Int64(max(1, options.proposalsPerSecond)))
    }

    mutating func clientTick() {
        if plan.clientIdleShare > 0, faultWindowOpen, clientRandom.chance(plan.clientIdleShare / 20) {
            // Fall silent for a while (about 20 proposal intervals on average).
            let pause = clientRandom.span(proposalInterval, proposalInterval * 40)
            if trace != nil { emit("clients idle for \(TimeSpan(nanoseconds: pause.nanoseconds / 1_000 * 1_000))") }
            schedule(at: now + pause, .clientTick)
            return
        }
        submitRequest()
        schedule(at: now + proposalInterval, .clientTick)
    }

    /// A new request from a client, on its way to the server believed to lead.
    mutating func submitRequest() {
        let id = nextRequestID
        nextRequestID += 1
        let target = knownLeader ?? members[Int(clientRandom.next(upperBound: UInt64(members.count)))]
        schedule(
            at: now + clientRandom.span(.microseconds(50), .microseconds(200)),
            .clientRequest(id: id, target: target, attempt: 1))
    }

    mutating func clientRequest(id: UInt64, target: NodeID, attempt: Int) {
        let slot = target.rawValue - 1
        guard isUp[slot] else {
            // No answer: the client times out and tries another server.
            retry(id: id, after: .milliseconds(20), hint: nil, attempt: attempt)
            return
        }
        var result = ProposeResult.rejected(leaderHint: nil)
        let data = Self.payload(for: id)
        step(slot) { node, now, out in result = node.propose(data, at: now, into: &out) }
        switch result {
        case .accepted(let index, let term):
            knownLeader = target
            if trace != nil { emit("client request \(id) accepted by \(target) at \(index)@\(term)") }
        case .rejected(let hint):
            if knownLeader == target { knownLeader = nil }
            retry(id: id, after: .microseconds(200), hint: hint, attempt: attempt)
        }
    }

    mutating func retry(id: UInt64, after delay: TimeSpan, hint: NodeID?, attempt: Int) {
        guard attempt < Self.maxAttempts else { return }
        let target = hint ?? members[Int(clientRandom.next(upperBound: UInt64(members.count)))]
        schedule(at: now + delay, .clientRequest(id: id, target: target, attempt: attempt + 1))
    }

    /// A client command is its request id, little-endian.
    static func payload(for id: UInt64) -> [UInt8] {
        withUnsafeBytes(of: id.littleEndian) { Array($0) }
    }

    static func requestID(_ data: [UInt8]) -> UInt64 {
        guard data.count == 8 else { return 0 }
        var value: UInt64 = 0
        for (shift, byte) in data.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }
}
