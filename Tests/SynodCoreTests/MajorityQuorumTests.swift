import SynodCore
import Testing

@Suite struct MajorityQuorumTests {
    @Test(arguments: [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4)])
    func sizeIsMoreThanHalfTheMembers(members: Int, size: Int) {
        let quorum = MajorityQuorum((1...members).map { NodeID($0) })
        #expect(quorum.size == size)
        #expect(quorum.isReached(by: size))
        #expect(!quorum.isReached(by: size - 1))
    }

    @Test func membersAreDeduplicatedAndSorted() {
        let quorum = MajorityQuorum([3, 1, 2, 3, 1] as [NodeID])
        #expect(quorum.members == [1, 2, 3])
        #expect(quorum.size == 2)
    }

    @Test func votersThatAreNotMembersDoNotCount() {
        let quorum = MajorityQuorum([1, 2, 3] as [NodeID])
        #expect(!quorum.isReached(byVotersIn: [1, 7, 8, 9] as [NodeID]))
        #expect(quorum.isReached(byVotersIn: [1, 3] as [NodeID]))
        #expect(!quorum.isReached(byVotersIn: [] as [NodeID]))
    }

    @Test func committedIsTheHighestValueAMajorityHasReached() {
        let five = MajorityQuorum([1, 2, 3, 4, 5] as [NodeID])
        let match: [NodeID: Int] = [1: 9, 2: 3, 3: 7, 4: 1, 5: 5]
        #expect(five.committed { match[$0]! } == 5)

        let four = MajorityQuorum([1, 2, 3, 4] as [NodeID])
        #expect(four.committed { match[$0]! } == 3, "three of four have reached 3; only two have 7")

        let one = MajorityQuorum([4] as [NodeID])
        #expect(one.committed { match[$0]! } == 1)
    }

    @Test func committedDoesNotDependOnMemberOrder() {
        let values: [NodeID: Int] = [1: 4, 2: 4, 3: 0]
        #expect(MajorityQuorum([3, 2, 1] as [NodeID]).committed { values[$0]! } == 4)
        #expect(MajorityQuorum([1, 2, 3] as [NodeID]).committed { values[$0]! } == 4)
    }
}
