/// One client operation on a key-value store, as a client saw it: what it asked, what
/// it was told, and when it asked and heard back (virtual microseconds).
///
/// The checker reads intervals as closed: an operation took effect at some instant in
/// `call...return`, so two operations that touch at one instant are concurrent.
///
/// ```swift
/// let write = HistoryOperation(client: 1, op: .put, key: "x", value: "5", call: 10, return: 20, status: .ok)
/// let read = HistoryOperation(client: 2, op: .get, key: "x", value: "5", call: 15, return: 25, status: .ok)
/// ```
public struct HistoryOperation: Sendable, Hashable {
    /// What a client asked for.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case put, get, delete, cas, append
    }

    /// What the client learned about the operation's fate.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Applied, and `value` / `ok` hold what the client was told.
        case ok
        /// Certainly not applied (rejected before it could reach any log): ignored by the checker.
        case fail
        /// Unknown (timed out, leader changed): may take effect at any point after its
        /// call, or never; whatever the client was told, if anything, is not evidence.
        case info
    }

    public var client: Int
    public var op: Kind
    public var key: String
    /// `put`'s value, the value a `get` read, or the suffix an `append` added; nil is absent.
    public var value: String?
    /// `cas`: the value expected; nil expects the key to be absent.
    public var from: String?
    /// `cas`: the value written on success; nil deletes the key.
    public var to: String?
    /// `cas`: whether the comparison succeeded (nil when the outcome is unknown).
    public var ok: Bool?
    /// When the client sent the operation.
    public var call: Int64
    /// When the client heard back; nil only for `info` operations.
    public var `return`: Int64?
    public var status: Status

    public init(
        client: Int, op: Kind, key: String, value: String? = nil, from: String? = nil, to: String? = nil,
        ok: Bool? = nil, call: Int64, return: Int64?, status: Status
    ) {
        self.client = client
        self.op = op
        self.key = key
        self.value = value
        self.from = from
        self.to = to
        self.ok = ok
        self.call = call
        self.return = `return`
        self.status = status
    }
}

extension HistoryOperation {
    /// The operation in words, for explanations: `client 2's put "5" [10, 20]`.
    public var summary: String {
        let interval = "[\(call), \(self.return.map(String.init) ?? "…")]"
        let words: String
        switch op {
        case .put: words = "put \(quoted(value))"
        case .get:
            words = status == .ok ? "get (read \(quoted(value)))" : "get"
        case .delete: words = "delete"
        case .append: words = "append \(quoted(value))"
        case .cas:
            let outcome: String
            switch (status, ok) {
            case (.ok, true?): outcome = ", succeeded"
            case (.ok, false?): outcome = ", failed"
            default: outcome = ""
            }
            words = "cas \(quoted(from)) to \(quoted(to))\(outcome)"
        }
        let fate: String
        switch status {
        case .ok: fate = ""
        case .fail: fate = " (failed: never applied)"
        case .info: fate = " (outcome unknown)"
        }
        return "client \(client)'s \(words) \(interval)\(fate)"
    }
}

/// A value as the explanations print it: quoted, or `absent`.
func quoted(_ value: String?) -> String {
    guard let value else { return "absent" }
    return JSONText.quote(value)
}
