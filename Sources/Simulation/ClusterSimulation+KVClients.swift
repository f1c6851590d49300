import KV
import Raft
import SynodCore

/// Simulated key-value clients: each opens a session, then issues random operations on
/// a few keys, one at a time, through the same request/reply path the RESP port uses:
/// an encoded request handed to a replica, which batches it when it leads or forwards it
/// to the leader. A client writes to the server it believes leads, or to any server;
/// it retries elsewhere when unanswered. Every operation is recorded with its virtual
/// call and return times for the linearizability checker.
extension ClusterSimulation {
    struct KVClient {
        var session: UInt64 = 0
        var sequence: UInt64 = 0
        var operation: Int = 0
        var current: ClientOperation?
        var attempt = 0
        var knownLeader: NodeID?
        /// Some attempt of the current operation entered a log: it may apply later.
        var mayHaveApplied = false
        var opening = false
        /// The last value this client saw per key, to make compare-and-swaps plausible.
        var lastSeen: [ByteString: ByteString] = [:]
    }

    var kv: KVWorkload { options.workload! }

    mutating func startClients() {
        for client in 0..<kv.clients {
            schedule(at: .zero + clientRandom.span(.milliseconds(1), .milliseconds(20)), .kvNext(client: client))
        }
    }

    /// The client begins its next operation (or opens its session first).
    mutating func kvNext(client: Int) {
        guard now < .zero + options.duration else { return }
        var state = kvClients[client]
        state.operation += 1
        state.attempt = 0
        state.mayHaveApplied = false
        if state.session == 0, !isSessionless(client) {
            state.opening = true
            state.current = nil
        } else {
            state.opening = false
            state.current = randomOperation(client: client, &state)
        }
        kvClients[client] = state
        schedule(at: now + kv.operationTimeout, .kvGiveUp(client: client, operation: state.operation))
        kvAttempt(client: client, operation: state.operation)
    }

    /// Whether `client` writes without a session (see `KVWorkload.sessionlessClients`).
    func isSessionless(_ client: Int) -> Bool { client >= kv.clients - kv.sessionlessClients }

    mutating func randomOperation(client: Int, _ state: inout KVClient) -> ClientOperation {
        let key: ByteString = "k\(clientRandom.next(upperBound: UInt64(kv.keys)))"
        let command: KVCommand
        if clientRandom.chance(kv.readShare) {
            command = .get(key: key)
            // A read through the log is a sessioned request like any write.
            if kv.readMode == .log { state.sequence += 1 }
        } else {
            state.sequence += 1
            let tag: ByteString = "\(client + 1).\(state.sequence)"
            switch clientRandom.next(upperBound: 100 as UInt64) {
            case 0..<35: command = .put(key: key, value: tag)
            case 35..<60: command = .append(key: key, suffix: "[\(tag)]")
            case 60..<85: command = .cas(key: key, from: state.lastSeen[key], to: tag)
            default: command = .delete(key: key)
            }
        }
        return ClientOperation(client: client + 1, command: command, call: now.nanoseconds / 1_000, status: .info)
    }

    /// Whether the current operation goes through the log (writes, sessions, log reads).
    func viaLog(_ state: KVClient) -> Bool {
        guard let current = state.current else { return true }
        if case .get = current.command { return kv.readMode == .log }
        return true
    }

    mutating func kvAttempt(client: Int, operation: Int) {
        var state = kvClients[client]
        guard state.operation == operation, state.opening || state.current != nil else { return }
        state.attempt += 1
        let write = viaLog(state)
        if write, isSessionless(client), state.mayHaveApplied {
            // Sent once already: without a session a second copy could apply twice, so
            // the client waits for the answer or gives up, as a Redis client does.
            return
        }
        let spreadReads = !write && (kv.readMode == .follower || kv.readMode == .followerReadindex)
        // A quarter of writes go to any server, which forwards them to the leader.
        let anyServer = spreadReads || state.knownLeader == nil || (write && clientRandom.chance(0.25))
        let target =
            anyServer ? members[Int(clientRandom.next(upperBound: UInt64(members.count)))] : state.knownLeader!
        kvClients[client] = state
        schedule(
            at: now + kv.attemptTimeout, .kvAttemptTimeout(client: client, operation: operation, attempt: state.attempt)
        )
        let slot = target.rawValue - 1
        guard isUp[slot] else { return }  // No answer; the attempt times out.
        if write {
            writeForClient(client: client, operation: operation, at: slot)
        } else {
            readForClient(client: client, operation: operation, at: slot)
        }
    }

    mutating func writeForClient(client: Int, operation: Int, at slot: Int) {
        let state = kvClients[client]
        let command = state.current?.command ?? .openSession
        var session: UInt64 = 0
        var sequence: UInt64 = 0
        if case .openSession = command {
        } else {
            session = state.session
            sequence = state.sequence
        }
        let request = KVRequest(session: session, sequence: sequence, command: command, time: clocks[slot].local(now))
        let token = nextClientToken
        nextClientToken += 1
        clientTokens[token] = ClientToken(client: client, operation: operation)
        // A server took it: from now on it may apply, even if no answer ever comes.
        kvClients[client].mayHaveApplied = true
        replicaWrite(request.encoded(), token: token, on: slot)
    }

    mutating func readForClient(client: Int, operation: Int, at slot: Int) {
        guard case .get(let key) = kvClients[client].current?.command else { return }
        if kv.readMode == .follower {
            let value = store(slot)?.read(key).value
            recordStaleness(slot: slot)
            finishRead(client: client, operation: operation, value: value)
            return
        }
        let token = nextClientToken
        nextClientToken += 1
        clientTokens[token] = ClientToken(client: client, operation: operation, readKey: key)
        replicaRead(token: token, on: slot)
    }

    mutating func finishRead(client: Int, operation: Int, value: ByteString?) {
        guard kvClients[client].operation == operation, var current = kvClients[client].current else { return }
        current.value = value
        complete(client: client, current, status: .ok)
        readLatencies.append(TimeSpan(nanoseconds: (now.nanoseconds / 1_000 - current.call) * 1_000))
    }

    /// A server applied the entry a client was waiting for.
    mutating func replied(client: Int, operation: Int, with reply: KVReply, from slot: Int) {
        guard kvClients[client].operation == operation else { return }
        kvClients[client].knownLeader = members[slot]
        guard var current = kvClients[client].current else {
            // Two attempts of one open-session request can both commit: act on the first.
            guard kvClients[client].opening else { return }
            if case .sessionOpened(let id) = reply {
                kvClients[client].session = id
                kvClients[client].opening = false
                schedule(at: now, .kvNext(client: client))
            }
            return
        }
        switch reply {
        case .value(let value, _):
            current.value = value
            readLatencies.append(TimeSpan(nanoseconds: (now.nanoseconds / 1_000 - current.call) * 1_000))
        case .cas(let succeeded, let found):
            current.casSucceeded = succeeded
            current.value = found
        case .sessionExpired:
            // The request reached the log but the state machine refused it: not applied.
            kvClients[client].session = 0
            complete(client: client, current, status: .fail)
            return
        case .done, .sessionOpened, .outOfOrder, .integer, .applied, .failed:
            break
        }
        complete(client: client, current, status: .ok)
    }

    mutating func complete(client: Int, _ operation: ClientOperation, status: ClientOperation.Status) {
        var operation = operation
        operation.status = status
        operation.returned = now.nanoseconds / 1_000
        if status == .ok, let key = operation.command.key {
            switch operation.command {
            case .put(_, let value): kvClients[client].lastSeen[key] = value
            case .get: kvClients[client].lastSeen[key] = operation.value
            case .cas(_, _, let to) where operation.casSucceeded == true: kvClients[client].lastSeen[key] = to
            case .cas: kvClients[client].lastSeen[key] = operation.value
            default: kvClients[client].lastSeen[key] = nil
            }
        }
        history.append(operation)
        kvClients[client].current = nil
        kvClients[client].operation += 1
        schedule(at: now + kv.thinkTime, .kvNext(client: client))
    }

    mutating func kvAttemptTimeout(client: Int, operation: Int, attempt: Int) {
        let state = kvClients[client]
        guard state.operation == operation, state.attempt == attempt else { return }
        kvClients[client].knownLeader = nil
        kvAttempt(client: client, operation: operation)
    }

    /// The operation took too long: recorded as unknown if it may have entered a log,
    /// as failed if every attempt was refused before it could.
    mutating func kvGiveUp(client: Int, operation: Int) {
        let state = kvClients[client]
        guard state.operation == operation else { return }
        guard let current = state.current else {
            // Opening the session failed: try again.
            kvClients[client].operation += 1
            schedule(at: now + kv.thinkTime, .kvNext(client: client))
            return
        }
        var status: ClientOperation.Status = state.mayHaveApplied ? .info : .fail
        if case .get = current.command { status = .info }
        var unanswered = current
        unanswered.status = status
        unanswered.returned = status == .fail ? now.nanoseconds / 1_000 : nil
        history.append(unanswered)
        kvClients[client].current = nil
        kvClients[client].operation += 1
        schedule(at: now + kv.thinkTime, .kvNext(client: client))
    }
}
