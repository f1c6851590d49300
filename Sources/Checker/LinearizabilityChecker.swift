/// Linearizability checker for key-value histories: is there one order of all the
/// operations, each taking effect at an instant inside its call–return interval, in
/// which every operation sees what a single register per key would show?
///
/// The search is Wing & Gong's, with Lowe's memoization and Porcupine's linked list
/// (`KeySearch`), run separately on each key (P-compositionality: a history is
/// linearizable iff each key's sub-history is). `fail` operations are dropped (they
/// certainly did not happen); `info` operations may take effect at any point after
/// their call, or never, and what their client was told is ignored (an `info` get is
/// dropped, an `info` cas succeeds exactly when the value matches).
///
/// ```swift
/// let history = try History(parsing: text)
/// let report = LinearizabilityChecker.check(history)
/// if let violation = report.violation { print(violation.explanation) }
/// ```
///
/// - Complexity: exponential in the worst case (the problem is NP-complete); on
///   histories with bounded concurrency, close to linear in the number of operations.
public enum LinearizabilityChecker {
    /// Checks every key, in sorted order, and stops at the first that is not linearizable.
    public static func check(_ history: History) -> LinearizabilityReport {
        check(history.operations)
    }

    /// Checks every key, in sorted order, and stops at the first that is not linearizable.
    public static func check(_ operations: [HistoryOperation]) -> LinearizabilityReport {
        var byKey: [String: [HistoryOperation]] = [:]
        for operation in operations {
            byKey[operation.key, default: []].append(operation)
        }
        var report = LinearizabilityReport(operations: operations.count, keys: byKey.count)
        for key in byKey.keys.sorted() {
            let checked = checkKey(key, byKey[key]!)
            report.configurations += checked.configurations
            if let violation = checked.violation {
                report.violation = violation
                break
            }
        }
        return report
    }

    /// Checks the operations of one key (all must carry `key`).
    static func checkKey(_ key: String, _ operations: [HistoryOperation]) -> (
        configurations: Int, violation: LinearizabilityViolation?
    ) {
        let kept = operations.filter { operation in
            switch operation.status {
            case .ok: true
            case .fail: false
            case .info: operation.op != .get
            }
        }
        var search = KeySearch(operations: kept)
        if let finding = search.staleRead() {
            return (0, LinearizabilityViolation(key: key, operations: search.operations, staleRead: finding))
        }
        switch search.run() {
        case .linearizable(let configurations):
            return (configurations, nil)
        case .violation(let order, let blocked, let state, let blockedCannotStep, let configurations):
            let violation = LinearizabilityViolation(
                key: key, operations: search.operations, order: order, blocked: blocked, state: state,
                blockedCannotStep: blockedCannotStep)
            return (configurations, violation)
        }
    }
}

/// The checker's verdict on a history.
public struct LinearizabilityReport: Sendable, Equatable {
    /// Operations in the history (all statuses).
    public var operations: Int
    /// Distinct keys in the history.
    public var keys: Int
    /// Configurations the search visited, summed over the keys checked: a measure of its work.
    public var configurations: Int = 0
    /// Why the history is not linearizable, or nil when it is.
    public var violation: LinearizabilityViolation?

    public init(operations: Int, keys: Int, configurations: Int = 0, violation: LinearizabilityViolation? = nil) {
        self.operations = operations
        self.keys = keys
        self.configurations = configurations
        self.violation = violation
    }

    public var isLinearizable: Bool { violation == nil }
}

/// The simulator's one-call hook: nil when the operations are linearizable, otherwise
/// the violation in words (the key, then the explanation).
public enum LinearizabilityCheck {
    public static func explain(_ operations: [HistoryOperation]) -> String? {
        LinearizabilityChecker.check(operations).violation?.description
    }
}
