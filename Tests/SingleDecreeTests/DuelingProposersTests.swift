import Lab
import Paxos
import Simulation
import SynodCore
import Testing

/// Two proposers that retry at once pre-empt each other for ever; randomized back-off
/// ends the duel.
@Suite struct DuelingProposersTests {
    static let seeds: [UInt64] = [1, 2, 3]

    @Test(arguments: seeds) func withoutBackOffNoValueIsChosenAndBallotsPileUp(seed: UInt64) {
        let result = DuelingProposers.run(DuelingProposers.variants[0], seed: seed)
        let replay = "replay: swift run synod scenario run dueling-proposers --seeds \(seed)"
        #expect(result.violation == nil, "seed \(seed): \(String(describing: result.violation))\n\(replay)")
        #expect(
            result.chosen == nil, "seed \(seed): the duel ended with \(String(describing: result.chosen))\n\(replay)")
        // A round takes a few link latencies and a sync: hundreds fit in the window.
        #expect(result.ballots > 500, "seed \(seed): only \(result.ballots) ballots tried\n\(replay)")
    }

    @Test(arguments: seeds) func randomizedBackOffLetsOneProposerWin(seed: UInt64) throws {
        let result = DuelingProposers.run(DuelingProposers.variants[1], seed: seed)
        let replay = "replay: swift run synod scenario run dueling-proposers --seeds \(seed)"
        #expect(result.violation == nil, "seed \(seed): \(String(describing: result.violation))\n\(replay)")
        let chosen = try #require(result.chosen, "seed \(seed): no value chosen\n\(replay)")
        #expect([1, 2].contains(chosen.value.rawValue))
        let time = try #require(result.timeToChoose)
        #expect(time < .milliseconds(100), "seed \(seed): took \(time)\n\(replay)")
        #expect(result.ballots < 20, "seed \(seed): \(result.ballots) ballots\n\(replay)")
    }

    @Test(arguments: seeds) func aStableLeaderChoosesInItsFirstBallot(seed: UInt64) throws {
        let result = DuelingProposers.run(DuelingProposers.variants[2], seed: seed)
        let replay = "replay: swift run synod scenario run dueling-proposers --seeds \(seed)"
        let chosen = try #require(result.chosen, "seed \(seed): no value chosen\n\(replay)")
        #expect(chosen.value == SingleDecree.Value(1), "seed \(seed): the leader's value lost\n\(replay)")
        #expect(result.ballots == 1, "seed \(seed): \(result.ballots) ballots\n\(replay)")
    }
}
