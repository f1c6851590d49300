import KV
import SynodCore

/// The leader's side: locks, timestamps, commit wait, uncertainty restarts.
extension TransactionRun {
    mutating func arrive(_ id: Int) {
        if variant.usesHybridClocks {
            do {
                _ = try hybrid[0].update(with: transactions[id].timestamp, physical: clocks[0].read(now))
            } catch {
                result.refused += 1
                queue.schedule(at: now + hop(transactions[id].gateway), .refused(transaction: id))
                return
            }
        }
        if transactions[id].writes {
            lockQueue.append(id)
            grantLocks()
        } else {
            if !variant.usesHybridClocks { maxRead = max(maxRead, transactions[id].timestamp) }
            pendingReads.append(id)
            serveReads()
        }
    }

    /// Grants every waiting write whose keys are all free, in arrival order.
    mutating func grantLocks() {
        var waiting: [Int] = []
        for id in lockQueue {
            if transactions[id].keys.contains(where: locked.contains) {
                waiting.append(id)
            } else {
                locked.formUnion(transactions[id].keys)
                beginCommit(id)
            }
        }
        lockQueue = waiting
    }

    /// Chooses the commit timestamp and starts replication (and commit wait, in parallel).
    mutating func beginCommit(_ id: Int) {
        let keys = transactions[id].keys
        var timestamp: HybridTimestamp
        if variant.usesHybridClocks {
            timestamp = transactions[id].timestamp
            for key in keys {
                if let latest = store.latest(key) { timestamp = max(timestamp, latest.timestamp.next) }
                if let read = readCache[key] { timestamp = max(timestamp, read.next) }
            }
        } else {
            let latest = HybridTimestamp(wallTime: bound.now(physical: clocks[0].read(now)).latest)
            timestamp = max(latest, Self.after(lastAssigned), Self.after(maxRead))
            lastAssigned = timestamp
            inFlight.append(timestamp)
        }
        transactions[id].timestamp = timestamp
        queue.schedule(at: now + replicationDelay(), .replicated(transaction: id))
        if variant.commitWaits {
            waitCheck(id)
        } else {
            transactions[id].waited = true
        }
    }

    /// Commit wait: done once the leader's `earliest` has passed the commit timestamp;
    /// else sleep for what is left on the leader's clock and look again.
    mutating func waitCheck(_ id: Int) {
        let physical = clocks[0].read(now)
        let left = bound.commitWait(until: transactions[id].timestamp.wallTime, physical: physical)
        if left > .zero {
            queue.schedule(at: now + clocks[0].trueSpan(forLocal: left), .waitCheck(transaction: id))
        } else {
            transactions[id].waited = true
            commitIfReady(id)
        }
    }

    /// Once replicated and waited out: apply at the timestamp, release the locks, answer.
    mutating func commitIfReady(_ id: Int) {
        let transaction = transactions[id]
        guard transaction.replicated, transaction.waited else { return }
        for key in transaction.keys {
            let previous = Int(store.latest(key)?.value ?? "0") ?? 0
            store.write(key, value: String(previous + 1), at: transaction.timestamp)
        }
        locked.subtract(transaction.keys)
        inFlight.removeAll { $0 == transaction.timestamp }
        queue.schedule(at: now + hop(transaction.gateway), .reply(transaction: id))
        grantLocks()
        serveReads()
    }

    /// Serves every waiting read that nothing in flight could still change.
    mutating func serveReads() {
        var waiting: [Int] = []
        for id in pendingReads {
            let transaction = transactions[id]
            let blocked =
                variant.usesHybridClocks
                ? transaction.keys.contains(where: locked.contains)
                : inFlight.contains { $0 <= transaction.timestamp }
            if blocked {
                waiting.append(id)
            } else {
                serveRead(id)
            }
        }
        pendingReads = waiting
    }

    mutating func serveRead(_ id: Int) {
        let transaction = transactions[id]
        if variant.restartsOnUncertainty {
            let uncertain = transaction.keys.flatMap {
                store.versions(of: $0, after: transaction.timestamp, through: transaction.uncertaintyLimit)
            }
            if let highest = uncertain.map(\.timestamp).max() {
                // Back to the gateway, which retries at the uncertain value's timestamp.
                result.restarts += 1
                transactions[id].timestamp = highest
                queue.schedule(at: now + hop(transaction.gateway) + hop(transaction.gateway), .arrive(transaction: id))
                return
            }
        }
        for key in transaction.keys {
            if variant.usesHybridClocks { readCache[key] = max(readCache[key] ?? .zero, transaction.timestamp) }
            do {
                _ = try store.read(key, at: transaction.timestamp)
            } catch {
                result.refused += 1
                queue.schedule(at: now + hop(transaction.gateway), .refused(transaction: id))
                return
            }
        }
        queue.schedule(at: now + hop(transaction.gateway), .reply(transaction: id))
    }

    /// The next TrueTime timestamp after `timestamp`: one nanosecond later.
    static func after(_ timestamp: HybridTimestamp) -> HybridTimestamp {
        HybridTimestamp(wallTime: timestamp.wallTime + TimeSpan(nanoseconds: 1))
    }
}
