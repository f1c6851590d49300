import Checker

/// Short spellings for hand-written histories: `put("1", 0...10)` is client 1's put of
/// "1" on key "x", called at 0 and returned at 10.
enum Op {
    static func put(
        _ value: String, _ interval: ClosedRange<Int64>, key: String = "x", client: Int = 1,
        status: HistoryOperation.Status = .ok
    ) -> HistoryOperation {
        HistoryOperation(
            client: client, op: .put, key: key, value: value, call: interval.lowerBound, return: interval.upperBound,
            status: status)
    }

    static func get(
        _ value: String?, _ interval: ClosedRange<Int64>, key: String = "x", client: Int = 2,
        status: HistoryOperation.Status = .ok
    ) -> HistoryOperation {
        HistoryOperation(
            client: client, op: .get, key: key, value: value, call: interval.lowerBound, return: interval.upperBound,
            status: status)
    }

    static func delete(
        _ interval: ClosedRange<Int64>, key: String = "x", client: Int = 1, status: HistoryOperation.Status = .ok
    ) -> HistoryOperation {
        HistoryOperation(
            client: client, op: .delete, key: key, call: interval.lowerBound, return: interval.upperBound,
            status: status)
    }

    static func cas(
        _ from: String?, _ to: String?, ok: Bool?, _ interval: ClosedRange<Int64>, key: String = "x",
        client: Int = 1, status: HistoryOperation.Status = .ok
    ) -> HistoryOperation {
        HistoryOperation(
            client: client, op: .cas, key: key, from: from, to: to, ok: ok, call: interval.lowerBound,
            return: interval.upperBound, status: status)
    }

    static func append(
        _ suffix: String, _ interval: ClosedRange<Int64>, key: String = "x", client: Int = 1,
        status: HistoryOperation.Status = .ok
    ) -> HistoryOperation {
        HistoryOperation(
            client: client, op: .append, key: key, value: suffix, call: interval.lowerBound,
            return: interval.upperBound, status: status)
    }

    /// An operation whose outcome is unknown, called at `call`, that never heard back.
    static func unknown(_ operation: HistoryOperation) -> HistoryOperation {
        var operation = operation
        operation.status = .info
        operation.return = nil
        if operation.op == .cas { operation.ok = nil }
        if operation.op == .get { operation.value = nil }
        return operation
    }
}

extension LinearizabilityChecker {
    /// True when the operations are linearizable.
    static func accepts(_ operations: [HistoryOperation]) -> Bool {
        check(operations).isLinearizable
    }
}
