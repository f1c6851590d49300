/// Which register values an operation of the key could ever observe, for deciding
/// whether an `info` operation's effect is worth following.
///
/// Once an `info` operation has changed the value, appends only extend it: the value
/// stays "contaminated" (it starts with what the `info` operation left) until a blind
/// write. If no get, successful cas or unknown cas needs a value starting with the
/// contaminated one, and no failed cas compares with a value starting with the one the
/// register would hold without the `info` operation, then no operation can tell the
/// difference, and the `info` operation may as well never have taken effect: the search
/// need not follow that branch. Values are compared as UTF-8 bytes; a key with any
/// non-ASCII value (where `String` equality is canonical equivalence, not bytes) keeps
/// every branch.
struct ObservableValues {
    /// Values a get, successful cas or unknown cas needs, sorted bytewise.
    private let needed: [[UInt8]]
    /// Values failed cas operations compared with, sorted bytewise.
    private let comparedByFailedCas: [[UInt8]]
    /// False when a value is not ASCII: everything is then observable.
    private let enabled: Bool
    /// Whether the absent value, or one built from it by appends, is needed / compared with.
    private let absentNeeded: Bool
    private let absentCompared: Bool
    /// Per value id: 0 not computed yet, 1 no, 2 yes.
    private var neededMemo: [UInt8] = []
    private var comparedMemo: [UInt8] = []

    init(transitions: [KeyValueModel.Transition], isInfo: [Bool], model: KeyValueModel) {
        var needed: [[UInt8]] = []
        var compared: [[UInt8]] = []
        var suffixes: [[UInt8]] = []
        var absentNeeded = false
        var absentCompared = false
        var ascii = true
        func bytes(_ value: Int32) -> [UInt8]? {
            guard let text = model.value(of: value) else { return nil }
            let utf8 = Array(text.utf8)
            if utf8.contains(where: { $0 >= 0x80 }) { ascii = false }
            return utf8
        }
        for (operation, transition) in transitions.enumerated() {
            switch transition {
            case .get(let value) where !isInfo[operation]:
                if let value = bytes(value) { needed.append(value) } else { absentNeeded = true }
            case .casSucceeded(let from, _), .casUnknown(let from, _):
                if let from = bytes(from) { needed.append(from) } else { absentNeeded = true }
            case .casFailed(let from):
                if let from = bytes(from) { compared.append(from) } else { absentCompared = true }
            case .append(let value):
                if let suffix = bytes(value) { suffixes.append(suffix) }
            case .put(let value):
                _ = bytes(value)
            default:
                break
            }
        }
        // Appends build on absent from their suffixes: a value may grow from absent only if it starts with one.
        func startsWithSuffix(_ values: [[UInt8]]) -> Bool {
            values.contains { value in suffixes.contains { value.starts(with: $0) } }
        }
        self.absentNeeded = absentNeeded || startsWithSuffix(needed)
        self.absentCompared = absentCompared || startsWithSuffix(compared)
        self.needed = needed.sorted { $0.lexicographicallyPrecedes($1) }
        comparedByFailedCas = compared.sorted { $0.lexicographicallyPrecedes($1) }
        enabled = ascii
    }

    /// True when some value a get or cas needs starts with `value` (for absent: is
    /// absent, or could grow from it by appends).
    mutating func isPrefixOfNeeded(_ value: Int32, _ model: KeyValueModel) -> Bool {
        if value == KeyValueModel.absent { return absentNeeded || !enabled }
        return Self.lookup(value, model, &neededMemo, needed, enabled: enabled)
    }

    /// True when some value a failed cas compared with starts with `value` (for absent:
    /// is absent, or could grow from it by appends).
    mutating func isPrefixOfCompared(_ value: Int32, _ model: KeyValueModel) -> Bool {
        if value == KeyValueModel.absent { return absentCompared || !enabled }
        return Self.lookup(value, model, &comparedMemo, comparedByFailedCas, enabled: enabled)
    }

    /// True when following an `info` operation's effect through a move could matter:
    /// the move leaves `contaminated`, and would leave `clean` without the `info` operation.
    mutating func worthFollowing(contaminated: Int32, clean: Int32?, model: KeyValueModel) -> Bool {
        if isPrefixOfNeeded(contaminated, model) { return true }
        guard let clean else { return false }
        return isPrefixOfCompared(clean, model)
    }

    private static func lookup(
        _ value: Int32, _ model: KeyValueModel, _ memo: inout [UInt8], _ values: [[UInt8]], enabled: Bool
    ) -> Bool {
        guard enabled else { return true }
        let index = Int(value)
        if index >= memo.count { memo.append(contentsOf: repeatElement(0, count: index + 1 - memo.count)) }
        if memo[index] == 0 {
            let prefix = Array((model.value(of: value) ?? "").utf8)
            memo[index] = somePrefixed(by: prefix, in: values) ? 2 : 1
        }
        return memo[index] == 2
    }

    /// True when some element of the sorted `values` starts with `prefix`.
    private static func somePrefixed(by prefix: [UInt8], in values: [[UInt8]]) -> Bool {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle].lexicographicallyPrecedes(prefix) { low = middle + 1 } else { high = middle }
        }
        return low < values.count && values[low].starts(with: prefix)
    }
}
