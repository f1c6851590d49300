import SynodCore

/// One random change of the links, as the fault profiles inject them: drawn here from
/// the fault stream, applied (and traced) by each simulator its own way, so the log
/// simulator and the single-decree one draw the same faults from the same seeds.
enum NetworkFault {
    case heal
    /// A two-way partition into two groups.
    case partition([NodeID], [NodeID])
    /// Links cut in one direction only.
    case oneWayCuts([(from: NodeID, to: NodeID)])
    /// Partial connectivity: each link down on its own, with one drawn probability.
    case partialConnectivity([(from: NodeID, to: NodeID)])
    /// One server loses every link (the leader, when there is one).
    case isolate(NodeID)
    /// One server reachable from only one other (a partial partition): `others` are the
    /// servers cut off from `hub`.
    case partialPartition(hub: NodeID, others: [NodeID])

    /// Draws a fault; `isolating` adds the kind that isolates `leader` (the log
    /// simulator's), otherwise `leader` is unused.
    static func draw(
        members: [NodeID], leader: NodeID?, isolating: Bool, random: inout SeededGenerator
    ) -> NetworkFault {
        let n = members.count
        func anyMember() -> NodeID { members[Int(random.next(upperBound: UInt64(n)))] }
        switch random.next(upperBound: isolating ? 6 : 5 as UInt64) {
        case 0:
            return .heal
        case 1:
            var shuffled = members
            shuffled.shuffle(using: &random)
            let cutAt = min(n, 1 + Int(random.next(upperBound: UInt64(max(1, n - 1)))))
            return .partition(Array(shuffled[..<cutAt]).sorted(), Array(shuffled[cutAt...]).sorted())
        case 2:
            var cuts: [(from: NodeID, to: NodeID)] = []
            for _ in 0..<(1 + Int(random.next(upperBound: 3 as UInt64))) {
                let from = anyMember()
                let to = anyMember()
                if from != to { cuts.append((from, to)) }
            }
            return .oneWayCuts(cuts)
        case 3:
            let p = Double(random.next(upperBound: 50 as UInt64)) / 100
            var links: [(from: NodeID, to: NodeID)] = []
            for a in members {
                for b in members where a != b && random.chance(p) { links.append((a, b)) }
            }
            return .partialConnectivity(links)
        case 4 where isolating:
            return .isolate(leader ?? anyMember())
        default:
            let hub = anyMember()
            let friend = anyMember()
            return .partialPartition(hub: hub, others: members.filter { $0 != hub && $0 != friend })
        }
    }
}
