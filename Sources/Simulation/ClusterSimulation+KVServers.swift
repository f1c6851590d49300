import Checker
import KV
import Raft
import Replication
import SynodCore

/// The servers' side of the key-value workload is the replica core itself: clients hand
/// it encoded requests and reads under a token, and its answers come back here, to the
/// client operation each token stands for.
extension ClusterSimulation {
    /// Which client operation a token given to a replica stands for.
    struct ClientToken {
        var client: Int
        var operation: Int
        /// The key of a read; nil for a write.
        var readKey: ByteString?
    }

    /// Carries the answers the replica at `slot` gave in this step back to the clients.
    /// Nothing here steps a server: the step's actions are still being carried out.
    mutating func answerClients(slot: Int) {
        for (token, outcome) in actions.replies { writeAnswered(token, outcome, slot: slot) }
        for (token, served) in actions.reads { readAnswered(token, served: served, slot: slot) }
    }

    mutating func writeAnswered(_ token: UInt64, _ outcome: WriteOutcome, slot: Int) {
        guard let waiting = clientTokens.removeValue(forKey: token),
            kvClients[waiting.client].operation == waiting.operation
        else { return }
        switch outcome {
        case .reply(let bytes):
            guard let reply = try? KVReply(decoding: bytes) else {
                return fail(.safety, "state-machine-safety", "\(members[slot]) answered a reply that does not decode")
            }
            if trace != nil { emit("\(members[slot]) answers client \(waiting.client + 1): \(reply)") }
            replied(client: waiting.client, operation: waiting.operation, with: reply, from: slot)
        case .failed, .busy:
            // Not applied yet (perhaps later, once): the client tries again, elsewhere.
            kvClients[waiting.client].knownLeader = nil
            schedule(at: now + .microseconds(200), .kvAttempt(client: waiting.client, operation: waiting.operation))
        }
    }

    mutating func readAnswered(_ token: UInt64, served: Bool, slot: Int) {
        guard let waiting = clientTokens.removeValue(forKey: token), let key = waiting.readKey,
            kvClients[waiting.client].operation == waiting.operation
        else { return }
        if served, let store = store(slot) {
            if trace != nil {
                emit(
                    "\(members[slot]) serves client \(waiting.client + 1)'s get \(key) at applied \(appliedIndex(slot)): \(store.read(key).value ?? "nil")"
                )
            }
            finishRead(client: waiting.client, operation: waiting.operation, value: store.read(key).value)
        } else {
            kvClients[waiting.client].knownLeader = nil
            schedule(at: now + .microseconds(200), .kvAttempt(client: waiting.client, operation: waiting.operation))
        }
    }

    /// How far behind the cluster a local read on `slot` is, in entries and in time.
    mutating func recordStaleness(slot: Int) {
        let applied = Int(appliedIndex(slot).rawValue)
        let behind = max(0, commitTimes.count - applied)
        staleEntries.append(behind)
        staleTimes.append(behind == 0 ? .zero : now - commitTimes[applied])
    }
}

extension ClusterSimulation {
    /// The history in the checker's format.
    var historyOperations: [HistoryOperation] { history.map(\.historyOperation) }

    /// Copies the workload's figures into the report and checks the history.
    mutating func finishKVRun() {
        report.operations = history.count
        report.readLatencies = readLatencies
        report.staleEntries = staleEntries
        report.staleTimes = staleTimes
        guard report.violation == nil else { return }
        // A write still under way when the run ends may have applied, and a read may have
        // seen it: the checker takes it as unknown, as it takes one a client gave up on.
        let unfinished = kvClients.compactMap { client -> HistoryOperation? in
            guard var operation = client.current, operation.command.isWrite else { return nil }
            operation.status = .info
            operation.returned = nil
            return operation.historyOperation
        }
        if let failure = LinearizabilityCheck.explain(historyOperations + unfinished) {
            report.violation = Violation(
                kind: .safety, invariant: "linearizability", event: report.events, time: now, detail: failure)
        }
    }
}
