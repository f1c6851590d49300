import SynodCore

/// A finished transaction as the external-consistency check sees it: when, in real
/// time, its client started and saw it finish, and the timestamp the system gave it.
public struct TimestampedTransaction<Timestamp: Comparable & Sendable>: Sendable {
    public var id: Int
    public var start: Instant
    public var finish: Instant
    /// The commit timestamp of a transaction that writes; the read timestamp of a read-only one.
    public var timestamp: Timestamp
    public var writes: Bool
    public var keys: [String]

    public init(id: Int, start: Instant, finish: Instant, timestamp: Timestamp, writes: Bool, keys: [String]) {
        precondition(start <= finish, "a transaction cannot finish before it starts")
        self.id = id
        self.start = start
        self.finish = finish
        self.timestamp = timestamp
        self.writes = writes
        self.keys = keys
    }
}

/// Two transactions in real-time order whose timestamps say otherwise.
public struct ExternalConsistencyViolation<Timestamp: Comparable & Sendable>: Sendable, CustomStringConvertible {
    public var earlier: TimestampedTransaction<Timestamp>
    public var later: TimestampedTransaction<Timestamp>

    public var description: String {
        "transaction \(earlier.id) finished at t=\(earlier.finish) with timestamp \(earlier.timestamp), "
            + "yet transaction \(later.id), started later at t=\(later.start), has timestamp \(later.timestamp)"
    }
}

/// External consistency (Spanner): if T1 finished before T2 started in real time, T1's
/// timestamp is lower, so the timestamp order is an order the outside world could have
/// seen. T1 must write for it to matter: a read-only T2 reads at its timestamp and sees
/// versions at or below it, so it may share T1's timestamp; a writing T2 may not.
/// Read-only transactions put no constraint on those after them (they change nothing).
///
/// With `scope: .sharedKeys` only pairs that touch a common key count: the weaker
/// promise of systems without commit wait (CockroachDB), that a read or write of a key
/// sees every write of that key finished before it started (no stale reads).
public enum ExternalConsistencyCheck {
    public enum Scope: Sendable {
        case allTransactions
        case sharedKeys
    }

    /// The violation whose later transaction started first; nil when there is none.
    ///
    /// - Complexity: O(n log n) for n transactions (per key with `.sharedKeys`).
    public static func check<Timestamp>(
        _ transactions: [TimestampedTransaction<Timestamp>], scope: Scope = .allTransactions
    ) -> ExternalConsistencyViolation<Timestamp>? {
        switch scope {
        case .allTransactions:
            return firstViolation(transactions)
        case .sharedKeys:
            var byKey: [String: [TimestampedTransaction<Timestamp>]] = [:]
            for transaction in transactions {
                for key in Set(transaction.keys) { byKey[key, default: []].append(transaction) }
            }
            let found = byKey.keys.sorted().compactMap { firstViolation(byKey[$0]!) }
            return found.min { ($0.later.start, $0.later.id) < ($1.later.start, $1.later.id) }
        }
    }

    /// A sweep over starts, keeping the highest-stamped writer finished before each start.
    static func firstViolation<Timestamp>(
        _ transactions: [TimestampedTransaction<Timestamp>]
    ) -> ExternalConsistencyViolation<Timestamp>? {
        let writers = transactions.filter(\.writes).sorted { ($0.finish, $0.id) < ($1.finish, $1.id) }
        let starts = transactions.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        var next = 0
        var highest: TimestampedTransaction<Timestamp>?
        for later in starts {
            while next < writers.count, writers[next].finish < later.start {
                if highest == nil || writers[next].timestamp > highest!.timestamp { highest = writers[next] }
                next += 1
            }
            guard let earlier = highest else { continue }
            let inverted = later.writes ? earlier.timestamp >= later.timestamp : earlier.timestamp > later.timestamp
            if inverted { return ExternalConsistencyViolation(earlier: earlier, later: later) }
        }
        return nil
    }
}
