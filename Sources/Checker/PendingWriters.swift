/// For each value that some definite operation needs to find (what a get read, what a
/// successful cas compared with), whether an operation not yet linearized, and called
/// early enough, could still write it.
///
/// When the register does not hold such a value and nothing left that was called before
/// the reader returned can write it, the reader can never be placed, so the whole
/// configuration is dead. The search learns this as soon as a wrong order of writes is
/// chosen, instead of when the reader's return is reached many moves later.
///
/// Writers are grouped: by the value they write (put, delete writes absent, cas writes
/// its `to`), and appends by their suffix (an append can write any value ending with
/// it). Each group lists its operations in call order with a pointer to the first one
/// not linearized, kept up to date as the search moves and backtracks, so a question
/// costs a comparison per group. Values too long to index, or not ASCII (where suffixes
/// of strings and of characters may differ), always count as writable.
struct PendingWriters {
    /// Per group: its operations in call order, and the position of the first not linearized.
    private var members: [[Int32]] = []
    private var firstPending: [Int] = []
    /// Per operation: its group (-1: it writes nothing fixed) and its position there.
    private var groupOf: [Int32]
    private var positionInGroup: [Int32]
    private var linearized: [Bool]
    private let calls: [Int64]
    /// Per value id: the group of the operations that write it (-1: none), the append
    /// groups whose suffix it ends with, and whether it is untracked.
    private var valueGroup: [Int32]
    private var suffixGroups: [[Int32]]
    private var untracked: [Bool]

    /// Longest value whose suffixes are indexed.
    static let longestIndexed = 256

    /// - Parameter operations: sorted by call time, with their transitions.
    init(
        operations: [HistoryOperation], transitions: [KeyValueModel.Transition], isInfo: [Bool], model: KeyValueModel
    ) {
        let valueCount = model.values.count
        calls = operations.map(\.call)
        groupOf = Array(repeating: -1, count: operations.count)
        positionInGroup = Array(repeating: -1, count: operations.count)
        linearized = Array(repeating: false, count: operations.count)
        valueGroup = Array(repeating: -1, count: valueCount)
        suffixGroups = Array(repeating: [], count: valueCount)
        untracked = Array(repeating: false, count: valueCount)
        var suffixGroup: [String: Int32] = [:]
        var needed = Array(repeating: false, count: valueCount)
        for (operation, transition) in transitions.enumerated() {
            var group: Int32 = -1
            switch transition {
            case .put(let value): group = groupWriting(value)
            case .delete: group = groupWriting(KeyValueModel.absent)
            case .casSucceeded(let from, let to):
                group = groupWriting(to)
                if !isInfo[operation] { needed[Int(from)] = true }
            case .casUnknown(_, let to): group = groupWriting(to)
            case .get(let value): if !isInfo[operation] { needed[Int(value)] = true }
            case .casFailed: break
            case .append(let value):
                let text = model.value(of: value) ?? ""
                if let existing = suffixGroup[text] {
                    group = existing
                } else {
                    group = newGroup()
                    suffixGroup[text] = group
                }
            }
            if group >= 0 {
                groupOf[operation] = group
                positionInGroup[operation] = Int32(members[Int(group)].count)
                members[Int(group)].append(Int32(operation))
            }
        }
        guard !suffixGroup.isEmpty else { return }
        for value in 0..<valueCount where needed[value] {
            guard let text = model.value(of: Int32(value)) else { continue }  // appends never write absent
            guard text.utf8.count <= Self.longestIndexed, text.utf8.allSatisfy({ $0 < 0x80 }) else {
                untracked[value] = true
                continue
            }
            let bytes = Array(text.utf8)
            for start in 0...bytes.count {
                if let group = suffixGroup[String(decoding: bytes[start...], as: UTF8.self)] {
                    suffixGroups[value].append(group)
                }
            }
        }
    }

    private mutating func newGroup() -> Int32 {
        members.append([])
        firstPending.append(0)
        return Int32(members.count - 1)
    }

    private mutating func groupWriting(_ value: Int32) -> Int32 {
        if valueGroup[Int(value)] < 0 { valueGroup[Int(value)] = newGroup() }
        return valueGroup[Int(value)]
    }

    /// The operation was linearized: it can no longer write anything later.
    @inline(__always)
    mutating func remove(_ operation: Int) {
        linearized[operation] = true
        let group = Int(groupOf[operation])
        guard group >= 0, Int(positionInGroup[operation]) == firstPending[group] else { return }
        var position = firstPending[group] + 1
        while position < members[group].count, linearized[Int(members[group][position])] { position += 1 }
        firstPending[group] = position
    }

    /// The operation was taken back: it may write again.
    @inline(__always)
    mutating func restore(_ operation: Int) {
        linearized[operation] = false
        let group = Int(groupOf[operation])
        guard group >= 0 else { return }
        firstPending[group] = min(firstPending[group], Int(positionInGroup[operation]))
    }

    /// True when some operation not linearized, called no later than `deadline`, could
    /// make the register hold `value`.
    func canStillWrite(_ value: Int32, by deadline: Int64) -> Bool {
        let index = Int(value)
        if untracked[index] { return true }
        if valueGroup[index] >= 0, isPending(Int(valueGroup[index]), by: deadline) { return true }
        for group in suffixGroups[index] where isPending(Int(group), by: deadline) { return true }
        return false
    }

    @inline(__always)
    private func isPending(_ group: Int, by deadline: Int64) -> Bool {
        let position = firstPending[group]
        return position < members[group].count && calls[Int(members[group][position])] <= deadline
    }
}
