import Raft
import SynodCore

/// Simulated clients: a steady stream of proposals, each sent to the server believed to
/// lead, following leader hints and retrying a few times when refused or unanswered.
extension ClusterSimulation {
    static var maxAttempts: Int { 20 }
    /// A client gives up on an accepted request that has not committed after this long
    /// and tries another server (the one it sent to may have lost its majority).
    static var clientTimeout: TimeSpan { .milliseconds(100) }

    struct PendingRequest {
        var submitted: Instant
        var attempt: Int
        var measured: Bool
    }

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
        let measured = now >= options.measureFrom && now < options.healTime
        if measured { report.windowRequests += 1 }
        pendingRequests[id] = PendingRequest(submitted: now, attempt: 1, measured: measured)
        let target = knownLeader ?? members[Int(clientRandom.next(upperBound: UInt64(members.count)))]
        // Clients sit outside the simulated network: a request reaches its server at once.
        clientRequest(id: id, target: target, attempt: 1)
    }

    mutating func clientRequest(id: UInt64, target: NodeID, attempt: Int) {
        let slot = target.rawValue - 1
        guard isUp[slot] else {
            // No answer: the client times out and tries another server.
            retry(id: id, after: .milliseconds(20), hint: nil, attempt: attempt)
            return
        }
        let result = propose(Self.payload(for: id), on: slot)
        switch result {
        case .accepted(let index, let term):
            knownLeader = target
            if trace != nil { emit("client request \(id) accepted by \(target) at \(index)@\(term)") }
            schedule(at: now + Self.clientTimeout, .clientTimeout(id: id, attempt: attempt))
        case .rejected(let hint):
            if knownLeader == target { knownLeader = nil }
            retry(id: id, after: .microseconds(200), hint: hint, attempt: attempt)
        }
    }

    mutating func retry(id: UInt64, after delay: TimeSpan, hint: NodeID?, attempt: Int) {
        guard attempt < Self.maxAttempts, pendingRequests[id] != nil else { return }
        pendingRequests[id]!.attempt = attempt + 1
        let target = hint ?? members[Int(clientRandom.next(upperBound: UInt64(members.count)))]
        schedule(at: now + delay, .clientRequest(id: id, target: target, attempt: attempt + 1))
    }

    mutating func clientTimeout(id: UInt64, attempt: Int) {
        guard let pending = pendingRequests[id], pending.attempt == attempt else { return }
        knownLeader = nil
        retry(id: id, after: .zero, hint: nil, attempt: attempt)
    }

    /// A leader committed these entries: the requests they carry are served.
    mutating func requestsCommitted(_ entries: [LogEntry]) {
        for entry in entries where entry.kind == .command {
            guard let pending = pendingRequests.removeValue(forKey: Self.requestID(entry.data)) else { continue }
            if pending.measured && now - pending.submitted <= options.availabilityBound { report.windowServed += 1 }
            if options.measureCommitLatency { report.commitLatencies.append(now - pending.submitted) }
        }
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
