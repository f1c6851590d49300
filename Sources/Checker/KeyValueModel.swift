/// The sequential specification each key is checked against: a register that holds a
/// string or nothing (absent).
///
/// - `put(v)` sets `v`; `delete` sets absent; `get` reads the current value;
/// - `cas(from, to)` succeeds iff the current value equals `from` (absent equals absent)
///   and then sets `to` (nil deletes); a failed cas needs the value to differ from `from`
///   and changes nothing;
/// - `append(s)` sets `(current ?? "") + s`.
///
/// Values are interned as small integers (0 is absent), so a state is one `Int32` and
/// the search compares and hashes states in constant time.
struct KeyValueModel {
    /// What one operation does to the register, values interned.
    enum Transition: Equatable {
        case put(Int32)
        case delete
        /// A read that returned the value.
        case get(Int32)
        case casSucceeded(from: Int32, to: Int32)
        case casFailed(from: Int32)
        /// A cas whose outcome is unknown: if it takes effect it succeeds exactly when
        /// the value equals `from`.
        case casUnknown(from: Int32, to: Int32)
        case append(Int32)

        /// True when the new state does not depend on the old one.
        var isBlindWrite: Bool {
            switch self {
            case .put, .delete: true
            default: false
            }
        }

        /// True when the operation never changes the state (where it may happen at all).
        var isReadOnly: Bool {
            switch self {
            case .get, .casFailed: true
            default: false
            }
        }
    }

    static let absent: Int32 = 0

    /// Interned values by id; `values[0]` stands for absent.
    private(set) var values: [String?] = [nil]
    private var ids: [String: Int32] = [:]
    /// `append` results already computed, keyed by (state, suffix).
    private var appended: [UInt64: Int32] = [:]

    /// The id of `value` (nil is absent), interning it if new.
    mutating func intern(_ value: String?) -> Int32 {
        guard let value else { return Self.absent }
        if let id = ids[value] { return id }
        let id = Int32(values.count)
        values.append(value)
        ids[value] = id
        return id
    }

    func value(of state: Int32) -> String? { values[Int(state)] }

    /// The transition of an operation the checker keeps (not `fail`, not an `info` get).
    mutating func transition(of operation: HistoryOperation) -> Transition {
        switch operation.op {
        case .put: return .put(intern(operation.value))
        case .delete: return .delete
        case .get: return .get(intern(operation.value))
        case .append: return .append(intern(operation.value ?? ""))
        case .cas:
            let from = intern(operation.from)
            let to = intern(operation.to)
            guard operation.status == .ok, let ok = operation.ok else { return .casUnknown(from: from, to: to) }
            return ok ? .casSucceeded(from: from, to: to) : .casFailed(from: from)
        }
    }

    /// The state after `transition` from `state`, or nil when the operation's recorded
    /// outcome is impossible in `state`.
    @inline(__always)
    mutating func step(_ state: Int32, _ transition: Transition) -> Int32? {
        switch transition {
        case .put(let value): return value
        case .delete: return Self.absent
        case .get(let value): return state == value ? state : nil
        case .casSucceeded(let from, let to): return state == from ? to : nil
        case .casFailed(let from): return state == from ? nil : state
        case .casUnknown(let from, let to): return state == from ? to : state
        case .append(let suffix): return append(suffix, to: state)
        }
    }

    private mutating func append(_ suffix: Int32, to state: Int32) -> Int32 {
        let memoKey = UInt64(UInt32(bitPattern: state)) << 32 | UInt64(UInt32(bitPattern: suffix))
        if let result = appended[memoKey] { return result }
        let result = intern((values[Int(state)] ?? "") + (values[Int(suffix)] ?? ""))
        appended[memoKey] = result
        return result
    }
}
