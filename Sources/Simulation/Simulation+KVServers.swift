import Checker
import KV
import Raft
import SynodCore

/// The servers' side of the key-value workload: each server applies committed entries
/// to its own `KVStore`, answers the clients whose entries it proposed, and serves reads
/// once its store has applied the read's index.
extension Simulation {
    /// Applies newly committed entries on `slot` and answers whoever waits for them.
    mutating func applyKV(slot: Int, _ entries: [LogEntry]) {
        for entry in entries {
            guard entry.kind == .command, let request = try? KVRequest(decoding: entry.data) else {
                // No-ops (and the liveness probe's opaque entries) still advance the
                // store's applied index, which reads wait on.
                stores[slot].applyNoop(at: entry.index)
                continue
            }
            let reply = stores[slot].apply(request, at: entry.index)
            if let waiting = awaiting[slot].removeValue(forKey: entry.index), waiting.term == entry.term {
                replied(client: waiting.client, operation: waiting.operation, with: reply, from: slot)
            }
        }
        serveWaitingReads(slot: slot)
    }

    /// Read points the core released: serve them once the store has caught up.
    mutating func readsReleased(slot: Int, ready: [ReadState], failed: [UInt64]) {
        for read in ready { readsWaiting[slot].append(read) }
        for id in failed {
            guard let read = serverReads[slot].removeValue(forKey: id) else { continue }
            // Refused: the client tries again soon, elsewhere.
            kvClients[read.client].knownLeader = nil
            schedule(at: now + .microseconds(200), .kvAttempt(client: read.client, operation: read.operation))
        }
        serveWaitingReads(slot: slot)
    }

    mutating func serveWaitingReads(slot: Int) {
        guard !readsWaiting[slot].isEmpty else { return }
        let applied = stores[slot].appliedIndex
        var kept: [ReadState] = []
        for read in readsWaiting[slot] {
            guard read.index <= applied else {
                kept.append(read)
                continue
            }
            guard let waiting = serverReads[slot].removeValue(forKey: read.id) else { continue }
            let (value, _) = stores[slot].read(waiting.key)
            finishRead(client: waiting.client, operation: waiting.operation, value: value)
        }
        readsWaiting[slot] = kept
    }

    /// The core handed over a snapshot (from the leader, or the disk at restart): the
    /// store becomes its image; promises for entries it covers will not be kept here.
    mutating func restoreKV(slot: Int, from snapshot: Snapshot) {
        do {
            stores[slot] = try KVStore(snapshot: snapshot.data)
        } catch {
            return fail(.safety, "state-machine-safety", "\(members[slot]) cannot restore \(snapshot): \(error)")
        }
        awaiting[slot] = awaiting[slot].filter { $0.key > snapshot.lastIndex }
        serveWaitingReads(slot: slot)
    }

    /// A server lost its memory: its store, promises and reads start over.
    mutating func resetKV(slot: Int) {
        guard options.workload != nil else { return }
        stores[slot] = KVStore()
        awaiting[slot] = [:]
        serverReads[slot] = [:]
        readsWaiting[slot] = []
    }

    /// How far behind the cluster a local read on `slot` is, in entries and in time.
    mutating func recordStaleness(slot: Int) {
        let applied = Int(stores[slot].appliedIndex.rawValue)
        let behind = max(0, commitTimes.count - applied)
        staleEntries.append(behind)
        staleTimes.append(behind == 0 ? .zero : now - commitTimes[applied])
    }
}

extension Simulation {
    /// The history in the checker's format.
    public var historyOperations: [HistoryOperation] { history.map(\.historyOperation) }

    /// Copies the workload's figures into the report and checks the history.
    mutating func finishKVRun() {
        report.operations = history.count
        report.readLatencies = readLatencies
        report.staleEntries = staleEntries
        report.staleTimes = staleTimes
        guard report.violation == nil else { return }
        if let failure = LinearizabilityCheck.explain(historyOperations) {
            report.violation = Violation(
                kind: .safety, invariant: "linearizability", event: report.events, time: now, detail: failure)
        }
    }
}
