/// A quick test, before the search, for the commonest anomaly: a read that no order can
/// satisfy because every write of the value it read was overwritten, in real time,
/// before the read was called (a stale read), or because nothing wrote it at all.
///
/// For a read `r` of `v`, take the write `w` of `v` called no later than `r` returned
/// with the latest return (an `info` write never returns, so it always may be the
/// last). If some other operation `x` that certainly leaves a value other than `v` (a
/// put or delete, a successful cas, an append when no append can produce `v`) was
/// called after `w` returned and returned before `r` was called, then `x` takes effect
/// between `w` and `r` in every order, and `r` cannot read `v`; any earlier write of `v`
/// returned earlier still, so `x` follows it too. The absent value has a write at the
/// beginning of time (the key starts absent).
///
/// - Complexity: O(n log n) for n operations.
struct StaleReadCheck {
    /// A read that cannot be placed, the last write of its value (nil: none), and the
    /// operation that overwrote that write before the read was called (nil: no write).
    struct Finding {
        var read: Int
        /// The write of the value read with the latest return, or nil for none (or the
        /// key's initial absence, when `initial` is true).
        var write: Int?
        var initial: Bool
        var overwrite: Int?
    }

    /// The first read, by call time, that no order can satisfy; nil when every read has a candidate write.
    /// `operations` are sorted by call time; `isInfo` and `transitions` describe them.
    static func firstStaleRead(
        _ operations: [HistoryOperation], _ transitions: [KeyValueModel.Transition], _ isInfo: [Bool],
        _ model: KeyValueModel
    ) -> Finding? {
        // Which needed values an append could produce: those are left to the search.
        var suffixes = Set<[UInt8]>()
        for transition in transitions {
            if case .append(let suffix) = transition { suffixes.insert(Array((model.value(of: suffix) ?? "").utf8)) }
        }
        func appendCanProduce(_ value: Int32) -> Bool {
            guard let text = model.value(of: value) else { return false }  // appends never leave absent
            let bytes = Array(text.utf8)
            if bytes.contains(where: { $0 >= 0x80 }) { return !suffixes.isEmpty }
            guard !suffixes.isEmpty else { return false }
            for start in 0...bytes.count where suffixes.contains(Array(bytes[start...])) { return true }
            return false
        }

        // Writes of each value in call order, with the running latest return (info: never returns).
        var writesOf: [Int32: [(call: Int64, latestReturn: Int64, latest: Int)]] = [:]
        // Operations that certainly leave a given value (-2: an append, whose result is not fixed).
        var overwrites: [(call: Int64, return: Int64, leaves: Int32, index: Int)] = []
        func returnTime(_ index: Int) -> Int64 { isInfo[index] ? .max : operations[index].return ?? .max }
        for (index, transition) in transitions.enumerated() {
            var written: Int32?
            var certain = !isInfo[index]
            switch transition {
            case .put(let value): written = value
            case .delete: written = KeyValueModel.absent
            case .casSucceeded(_, let to): written = to
            case .casUnknown(_, let to):
                written = to
                certain = false
            case .append: if certain { overwrites.append((operations[index].call, returnTime(index), -2, index)) }
            case .get, .casFailed: break
            }
            guard let written else { continue }
            let returned = returnTime(index)
            var list = writesOf[written, default: []]
            if let last = list.last, last.latestReturn >= returned {
                list.append((operations[index].call, last.latestReturn, last.latest))
            } else {
                list.append((operations[index].call, returned, index))
            }
            writesOf[written] = list
            if certain { overwrites.append((operations[index].call, returned, written, index)) }
        }

        // Overwrites by call; from each position on, the two earliest returns that leave different values.
        overwrites.sort { ($0.call, $0.index) < ($1.call, $1.index) }
        typealias Earliest = (return: Int64, leaves: Int32, index: Int)
        var first = [Earliest](repeating: (.max, -3, -1), count: overwrites.count + 1)
        var second = first
        for position in overwrites.indices.reversed() {
            let candidate: Earliest = (
                overwrites[position].return, overwrites[position].leaves, overwrites[position].index
            )
            var best = first[position + 1]
            var runnerUp = second[position + 1]
            if candidate.return < best.return {
                if candidate.leaves != best.leaves { runnerUp = best }
                best = candidate
            } else if candidate.leaves != best.leaves, candidate.return < runnerUp.return {
                runnerUp = candidate
            }
            first[position] = best
            second[position] = runnerUp
        }
        /// The overwrite that returns first among those called after `time` that leave something other than `value`.
        func earliestOverwrite(after time: Int64, leavingOtherThan value: Int32) -> Earliest {
            var low = 0
            var high = overwrites.count
            while low < high {
                let middle = (low + high) / 2
                if overwrites[middle].call <= time { low = middle + 1 } else { high = middle }
            }
            return first[low].leaves != value ? first[low] : second[low]
        }

        for (index, transition) in transitions.enumerated() where !isInfo[index] {
            let needed: Int32
            switch transition {
            case .get(let value): needed = value
            case .casSucceeded(let from, let to):
                if from == to { continue }  // it would write what it needs: leave it to the search
                needed = from
            default: continue
            }
            if appendCanProduce(needed) { continue }
            let read = operations[index]
            let readReturn = read.return ?? .max
            // The write of the value, called before the read returned, that returned last.
            var write: Int?
            var writeReturn = Int64.min
            if let list = writesOf[needed] {
                var low = 0
                var high = list.count
                while low < high {
                    let middle = (low + high) / 2
                    if list[middle].call <= readReturn { low = middle + 1 } else { high = middle }
                }
                if low > 0 {
                    write = list[low - 1].latest
                    writeReturn = list[low - 1].latestReturn
                }
            }
            let initial = needed == KeyValueModel.absent && write == nil
            if write == nil, !initial {
                return Finding(read: index, write: nil, initial: false, overwrite: nil)
            }
            if writeReturn == .max { continue }
            let overwrite = earliestOverwrite(after: writeReturn, leavingOtherThan: needed)
            if overwrite.index >= 0, overwrite.return < read.call {
                return Finding(read: index, write: write, initial: initial, overwrite: overwrite.index)
            }
        }
        return nil
    }
}
