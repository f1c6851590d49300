/// A write to a last-write-wins register: its stamp, and the writes it causally
/// follows (those its server or its client had seen, by applying, reading or writing
/// them, when it was made).
public struct CausalWrite<Stamp: Comparable & Sendable>: Sendable {
    public var id: Int
    public var stamp: Stamp
    /// Every write that happened before this one, directly or transitively.
    public var past: Set<Int>

    public init(id: Int, stamp: Stamp, past: Set<Int>) {
        self.id = id
        self.stamp = stamp
        self.past = past
    }
}

/// A causally later write that last-write-wins throws away in favour of `survivor`.
public struct LostWrite: Hashable, Sendable, CustomStringConvertible {
    /// The write that came causally after `survivor` and is lost.
    public var lost: Int
    /// The write that beats it; nil for the register's initial value.
    public var survivor: Int?
    /// The replica (0-based) that settled on `survivor`, or nil when the loss is in the
    /// stamps themselves (`lost` is stamped below a write it follows, so it loses
    /// wherever both arrive).
    public var replica: Int?

    public init(lost: Int, survivor: Int?, replica: Int?) {
        self.lost = lost
        self.survivor = survivor
        self.replica = replica
    }

    public var description: String {
        let held = survivor.map { "write \($0)" } ?? "the initial value"
        guard let replica else {
            return
                "write \(lost) came causally after write \(survivor!) but is stamped below it: last write wins loses it"
        }
        return "replica \(replica + 1) settled on \(held), but write \(lost) came causally after it and is lost"
    }
}

/// "No causally later write lost": a register that resolves conflicts by timestamp
/// (last write wins) must never let a write lose to one it causally follows. With
/// wall-clock stamps it does: a server whose clock is behind stamps a write that follows
/// another with an older time, and the older write wins everywhere (the book's
/// clock-skew scenario). Lamport and hybrid stamps rise along causality, so it holds.
public enum CausalWriteCheck {
    /// The first write, by id, stamped at or below a write it causally follows; then the
    /// first replica whose settled write (`settled[i]`, nil for the initial value) some
    /// other write causally follows. Nil when neither happens.
    ///
    /// - Complexity: O(w · p + r · w) for w writes with pasts of size p and r replicas.
    public static func check<Stamp>(writes: [CausalWrite<Stamp>], settled: [Int?]) -> LostWrite? {
        let ordered = writes.sorted { $0.id < $1.id }
        var stamps: [Int: Stamp] = [:]
        for write in ordered { stamps[write.id] = write.stamp }
        for write in ordered {
            for earlier in write.past.sorted() where earlier != write.id {
                if let stamp = stamps[earlier], stamp >= write.stamp {
                    return LostWrite(lost: write.id, survivor: earlier, replica: nil)
                }
            }
        }
        for (replica, survivor) in settled.enumerated() {
            let follower = ordered.first { write in
                guard let survivor else { return true }
                return write.id != survivor && write.past.contains(survivor)
            }
            if let follower { return LostWrite(lost: follower.id, survivor: survivor, replica: replica) }
        }
        return nil
    }
}
