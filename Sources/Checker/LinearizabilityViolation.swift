/// Why one key's operations cannot be linearized: a few operations a person can read,
/// and a paragraph that says what goes wrong with them.
///
/// The operations are the one that cannot be placed (it must take effect before
/// anything called after its return, and no order allows it), the operations placed
/// next to it in the longest order the search found, the write that left the value it
/// met, the latest write of the value it expected, and the operations still pending
/// beside it. They are listed by call time.
public struct LinearizabilityViolation: Sendable, Equatable, CustomStringConvertible {
    public var key: String
    /// The operations that cannot be ordered, by call time.
    public var operations: [HistoryOperation]
    /// The operation that cannot be placed (one of `operations`).
    public var blocked: HistoryOperation?
    /// How many operations of the key the longest order found places.
    public var placed: Int
    /// Operations of the key that the search considered (`fail` ones and `info` gets dropped).
    public var considered: Int
    /// One paragraph in words.
    public var explanation: String

    public var description: String { "key \(JSONText.quote(key)) is not linearizable: \(explanation)" }

    /// Builds the report from a failed search over `operations` (sorted by call time).
    init(
        key: String, operations: [HistoryOperation], order: [Int], blocked: Int, state: String?,
        blockedCannotStep: Bool
    ) {
        self.key = key
        placed = order.count
        considered = operations.count
        var chosen = Set<Int>()
        guard blocked >= 0 else {
            // Cannot happen (a failed search always meets a return), but say something useful.
            self.operations = operations
            self.blocked = nil
            explanation = "no order of the \(operations.count) operations on \(JSONText.quote(key)) is linearizable."
            return
        }
        let stuck = operations[blocked]
        self.blocked = stuck
        chosen.insert(blocked)
        let stuckReturn = stuck.return ?? .max

        func overlapsStuck(_ operation: HistoryOperation) -> Bool {
            operation.call <= stuckReturn && (operation.status == .info || (operation.return ?? .max) >= stuck.call)
        }

        // The stretch of the longest order that interleaves with the stuck operation.
        let windowStart =
            order.firstIndex { operations[$0].status != .info && overlapsStuck(operations[$0]) } ?? order.count
        for index in order[windowStart...] { chosen.insert(index) }

        // The last write before that stretch: it set the value the stretch starts from.
        let writer = order[..<windowStart].last { Self.writes(operations[$0]) }
        if let writer { chosen.insert(writer) }

        // Definite operations still pending beside it.
        let inOrder = Set(order)
        for (index, operation) in operations.enumerated()
        where operation.status != .info && !inOrder.contains(index) && index != blocked && overlapsStuck(operation) {
            chosen.insert(index)
        }

        // The latest write of the value it expected, if it expected one.
        let expected = Self.expectation(of: stuck)
        var source: Int?
        if let expected {
            source = operations.indices.last { index in
                operations[index].call <= stuckReturn && index != blocked && Self.writes(expected, operations[index])
            }
            if let source { chosen.insert(source) }
        }

        self.operations = chosen.sorted().map { operations[$0] }

        // The paragraph.
        let keyName = JSONText.quote(key)
        var text =
            "no order of the \(operations.count) operations on key \(keyName) respects both real time "
            + "(an operation that returned before another was called takes effect first) and a register's "
            + "semantics. The longest order found places \(order.count) of them and leaves \(keyName) "
            + (state == nil ? "absent" : "at \(quoted(state))")
        if let lastWriter = order.last(where: { Self.writes(operations[$0]) }) {
            text += ", last written by \(operations[lastWriter].summary)"
        } else {
            text += " (nothing written yet)"
        }
        text += ". The next operation, \(stuck.summary), must take effect before anything called after it "
        text += "returned, yet cannot: "
        if blockedCannotStep {
            switch (stuck.op, stuck.ok) {
            case (.get, _):
                text += "it read \(quoted(stuck.value)) but the value is \(quoted(state))"
            case (.cas, true?):
                text += "it succeeded, which needs the value \(quoted(stuck.from)), but the value is \(quoted(state))"
            case (.cas, _):
                text += "it failed, which needs a value other than \(quoted(stuck.from)), but the value is that"
            default:
                text += "it does not apply to the value \(quoted(state))"
            }
        } else {
            text += "every way of placing it leads to an operation that cannot be placed"
        }
        if let expected {
            if let source {
                text += "; \(quoted(expected.value)) was last written by \(operations[source].summary)"
            } else if expected.value != nil {
                text += "; no operation called before it returned writes \(quoted(expected.value))"
            }
        }
        text += ". Every other order of the operations concurrent with it was tried and fails as well."
        explanation = text
    }

    /// Builds the report of a read that no order can satisfy (see `StaleReadCheck`).
    init(key: String, operations: [HistoryOperation], staleRead finding: StaleReadCheck.Finding) {
        self.key = key
        considered = operations.count
        placed = 0
        let read = operations[finding.read]
        blocked = read
        self.operations = [finding.write, finding.overwrite, finding.read].compactMap { $0 }.sorted().map {
            operations[$0]
        }
        let needed = read.op == .get ? read.value : read.from
        let verb = read.op == .get ? "read" : "compared with"
        var text =
            "no order of the \(operations.count) operations on key \(JSONText.quote(key)) can explain "
            + "\(read.summary): it \(verb) \(quoted(needed)), but "
        if let write = finding.write, let overwrite = finding.overwrite {
            text +=
                "the last write of that value, \(operations[write].summary), was overwritten by "
                + "\(operations[overwrite].summary), which was called after that write returned and returned "
                + "before the \(read.op.rawValue) was called, so it takes effect in between in every order "
                + "(a stale read)."
        } else if finding.initial, let overwrite = finding.overwrite {
            text +=
                "the key starts absent only until \(operations[overwrite].summary), which returned before the "
                + "\(read.op.rawValue) was called, and no delete was called before the \(read.op.rawValue) returned."
        } else {
            text += "no operation called before it returned writes that value."
        }
        explanation = text
    }

    /// The value an operation needs to find, if its outcome depends on one.
    private static func expectation(of operation: HistoryOperation) -> Expectation? {
        switch (operation.op, operation.ok) {
        case (.get, _): Expectation(value: operation.value)
        case (.cas, true?): Expectation(value: operation.from)
        default: nil
        }
    }

    /// A value an operation needs to find (nil: it needs the key absent).
    private struct Expectation {
        var value: String?
    }

    /// True when the operation can change the value.
    private static func writes(_ operation: HistoryOperation) -> Bool {
        switch operation.op {
        case .put, .delete, .append: true
        case .cas: operation.ok != false
        case .get: false
        }
    }

    /// True when the operation can set the value to exactly `expected.value`.
    private static func writes(_ expected: Expectation, _ operation: HistoryOperation) -> Bool {
        switch operation.op {
        case .put: operation.value == expected.value && expected.value != nil
        case .delete: expected.value == nil
        case .cas: operation.ok != false && operation.to == expected.value
        case .append: expected.value.map { $0.hasSuffix(operation.value ?? "") } ?? false
        case .get: false
        }
    }
}
