/// Majority Quorum: any two majorities of the same membership intersect, so a
/// decision a majority accepted is seen by every later majority.
public struct MajorityQuorum: Sendable, Hashable {
    /// The voting members, sorted.
    public let members: [NodeID]

    public init<S: Sequence>(_ members: S) where S.Element == NodeID {
        self.members = Array(Set(members)).sorted()
        precondition(!self.members.isEmpty, "a quorum needs at least one member")
    }

    /// The smallest number of members that forms a majority: ⌊n/2⌋ + 1.
    public var size: Int { members.count / 2 + 1 }

    public func isReached(by count: Int) -> Bool { count >= size }

    /// Whether the given voters, members or not, include a majority of the members.
    public func isReached<S: Sequence>(byVotersIn voters: S) -> Bool where S.Element == NodeID {
        var count = 0
        for voter in voters where members.contains(voter) { count += 1 }
        return isReached(by: count)
    }

    /// The highest value that a majority of members has reached: the High-Water Mark
    /// of replication when the values are match indexes.
    ///
    /// - Complexity: O(n²) in the number of members, in stack memory: clusters are small
    ///   and this runs on every acknowledgement.
    @inlinable
    public func committed<T: Comparable>(_ value: (NodeID) -> T) -> T {
        withUnsafeTemporaryAllocation(of: T.self, capacity: members.count) { buffer in
            let base = buffer.baseAddress!
            var count = 0
            for member in members {
                // Insertion sort, largest first.
                let v = value(member)
                var i = count
                while i > 0 && base[i - 1] < v {
                    (base + i).initialize(to: base[i - 1])
                    (base + i - 1).deinitialize(count: 1)
                    i -= 1
                }
                (base + i).initialize(to: v)
                count += 1
            }
            let result = base[size - 1]
            base.deinitialize(count: count)
            return result
        }
    }
}
