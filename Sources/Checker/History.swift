/// What clients saw of a key-value store: every operation with its call and return
/// times and its outcome, the input of `LinearizabilityChecker`.
///
/// Histories travel as JSON Lines (see `HistoryParser`); `jsonLines` writes them back
/// with a stable field order, so a saved history diffs cleanly and parses to the same value.
///
/// ```swift
/// var history = History()
/// history.append(HistoryOperation(client: 1, op: .put, key: "x", value: "5", call: 10, return: 20, status: .ok))
/// let text = history.jsonLines  // {"client":1,"op":"put","key":"x","value":"5","call":10,"return":20,"status":"ok"}
/// ```
public struct History: Sendable, Hashable {
    public var operations: [HistoryOperation]

    public init(_ operations: [HistoryOperation] = []) {
        self.operations = operations
    }

    /// Parses JSON Lines; errors name the 1-based line.
    public init(parsing text: String) throws(HistoryParseError) {
        operations = try HistoryParser.parse(text)
    }

    public mutating func append(_ operation: HistoryOperation) {
        operations.append(operation)
    }

    /// The distinct keys, sorted.
    public var keys: [String] {
        Array(Set(operations.map(\.key))).sorted()
    }

    /// The history as JSON Lines, one operation per line, each line ending in a newline.
    public var jsonLines: String {
        var text = ""
        for operation in operations {
            text += operation.jsonLine
            text += "\n"
        }
        return text
    }
}

extension HistoryOperation {
    /// The operation as one line of JSON, fields in the order `client`, `op`, `key`,
    /// `value`, `from`, `to`, `ok`, `call`, `return`, `status`, only those that apply.
    public var jsonLine: String {
        var line = "{\"client\":\(client),\"op\":\"\(op.rawValue)\",\"key\":\(JSONText.quote(key))"
        let writesValue: Bool
        switch op {
        case .put, .append: writesValue = true
        case .get: writesValue = status == .ok || value != nil
        case .delete, .cas: writesValue = false
        }
        if writesValue { line += ",\"value\":\(jsonString(value))" }
        if op == .cas {
            line += ",\"from\":\(jsonString(from)),\"to\":\(jsonString(to))"
            if let ok { line += ",\"ok\":\(ok)" }
        }
        line += ",\"call\":\(call)"
        if let returned = self.return { line += ",\"return\":\(returned)" }
        line += ",\"status\":\"\(status.rawValue)\"}"
        return line
    }

    private func jsonString(_ value: String?) -> String {
        value.map(JSONText.quote) ?? "null"
    }
}
