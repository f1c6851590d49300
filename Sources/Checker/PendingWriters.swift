/// For each value that some definite operation needs to find (what a get read, what a
/// successful cas compared with), whether an operation not yet linearized could still
/// write it.
///
/// When the register does not hold such a value and nothing left can write it, the
/// reader can never be placed, so the whole configuration is dead. The search learns
/// this as soon as a wrong order of writes is chosen, instead of when the reader's
/// return is reached many moves later. Two questions are answered:
///
/// - for a candidate reader, whether a writer called before it returned is pending
///   (`canStillWrite(_:by:)`);
/// - for all readers at once, whether some value still has readers but no writer left
///   (`isStarving(except:)`), kept up to date as the search moves and backtracks.
///
/// Writers are grouped: by the value they write (put, delete writes absent, cas writes
/// its `to`), and appends by their suffix (an append can write any value ending with
/// it). Each group lists its operations in call order with a pointer to the first one
/// not linearized, so a question costs a comparison per group. Values too long to
/// index, or not ASCII (where suffixes of strings and of characters may differ), always
/// count as writable.
struct PendingWriters {
    /// Per group: its operations in call order, the position of the first not
    /// linearized, and the needed values it can write.
    private var members: [[Int32]] = []
    private var firstPending: [Int] = []
    private var groupValues: [[Int32]] = []
    /// Per operation: its group (-1: it writes nothing fixed), its position there, and
    /// the value it needs (-1: none).
    private var groupOf: [Int32]
    private var positionInGroup: [Int32]
    private var reads: [Int32]
    private var linearized: [Bool]
    private let calls: [Int64]
    /// Per value id: the group of the operations that write it (-1: none), the append
    /// groups whose suffix it ends with, and whether it is untracked.
    private var valueGroup: [Int32]
    private var suffixGroups: [[Int32]]
    private var untracked: [Bool]
    /// Per needed value: groups that can still write it, and readers not yet linearized.
    private var liveGroups: [Int32]
    private var pendingReaders: [Int32]
    /// Values with pending readers and no live group.
    private var starving = 0

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
        reads = Array(repeating: -1, count: operations.count)
        linearized = Array(repeating: false, count: operations.count)
        valueGroup = Array(repeating: -1, count: valueCount)
        suffixGroups = Array(repeating: [], count: valueCount)
        untracked = Array(repeating: false, count: valueCount)
        liveGroups = Array(repeating: 0, count: valueCount)
        pendingReaders = Array(repeating: 0, count: valueCount)
        var suffixGroup: [String: Int32] = [:]
        for (operation, transition) in transitions.enumerated() {
            var group: Int32 = -1
            switch transition {
            case .put(let value): group = groupWriting(value)
            case .delete: group = groupWriting(KeyValueModel.absent)
            case .casSucceeded(let from, let to):
                group = groupWriting(to)
                if !isInfo[operation] { reads[operation] = from }
            case .casUnknown(_, let to): group = groupWriting(to)
            case .get(let value): if !isInfo[operation] { reads[operation] = value }
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
            if reads[operation] >= 0 { pendingReaders[Int(reads[operation])] += 1 }
        }
        for value in 0..<valueCount where pendingReaders[value] > 0 {
            if valueGroup[value] >= 0 { groupValues[Int(valueGroup[value])].append(Int32(value)) }
            guard !suffixGroup.isEmpty, let text = model.value(of: Int32(value)) else { continue }
            guard text.utf8.count <= Self.longestIndexed, text.utf8.allSatisfy({ $0 < 0x80 }) else {
                untracked[value] = true
                continue
            }
            let bytes = Array(text.utf8)
            for start in 0...bytes.count {
                if let group = suffixGroup[String(decoding: bytes[start...], as: UTF8.self)] {
                    suffixGroups[value].append(group)
                    groupValues[Int(group)].append(Int32(value))
                }
            }
        }
        for value in 0..<valueCount where pendingReaders[value] > 0 {
            liveGroups[value] = (valueGroup[value] >= 0 ? 1 : 0) + Int32(suffixGroups[value].count)
            if isStarving(value) { starving += 1 }
        }
    }

    private mutating func newGroup() -> Int32 {
        members.append([])
        firstPending.append(0)
        groupValues.append([])
        return Int32(members.count - 1)
    }

    private mutating func groupWriting(_ value: Int32) -> Int32 {
        if valueGroup[Int(value)] < 0 { valueGroup[Int(value)] = newGroup() }
        return valueGroup[Int(value)]
    }

    private func isStarving(_ value: Int) -> Bool {
        pendingReaders[value] > 0 && liveGroups[value] == 0 && !untracked[value]
    }

    /// Applies `change` to a needed value's counts, keeping `starving` in step.
    @inline(__always)
    private mutating func update(_ value: Int, readers: Int32 = 0, groups: Int32 = 0) {
        let before = isStarving(value)
        pendingReaders[value] += readers
        liveGroups[value] += groups
        let after = isStarving(value)
        if before != after { starving += after ? 1 : -1 }
    }

    /// The operation was linearized: it can no longer write anything later, nor need anything.
    @inline(__always)
    mutating func remove(_ operation: Int) {
        linearized[operation] = true
        if reads[operation] >= 0 { update(Int(reads[operation]), readers: -1) }
        let group = Int(groupOf[operation])
        guard group >= 0, Int(positionInGroup[operation]) == firstPending[group] else { return }
        var position = firstPending[group] + 1
        while position < members[group].count, linearized[Int(members[group][position])] { position += 1 }
        firstPending[group] = position
        if position == members[group].count {
            for value in groupValues[group] { update(Int(value), groups: -1) }
        }
    }

    /// The operation was taken back: it may write again, or need again.
    @inline(__always)
    mutating func restore(_ operation: Int) {
        linearized[operation] = false
        if reads[operation] >= 0 { update(Int(reads[operation]), readers: 1) }
        let group = Int(groupOf[operation])
        guard group >= 0 else { return }
        let wasExhausted = firstPending[group] == members[group].count
        firstPending[group] = min(firstPending[group], Int(positionInGroup[operation]))
        if wasExhausted, firstPending[group] < members[group].count {
            for value in groupValues[group] { update(Int(value), groups: 1) }
        }
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

    /// True when some value other than `current` has readers left but nothing left that
    /// can write it: those readers can never be placed.
    func isStarving(except current: Int32) -> Bool {
        starving > (Int(current) < pendingReaders.count && isStarving(Int(current)) ? 1 : 0)
    }

    @inline(__always)
    private func isPending(_ group: Int, by deadline: Int64) -> Bool {
        let position = firstPending[group]
        return position < members[group].count && calls[Int(members[group][position])] <= deadline
    }
}
