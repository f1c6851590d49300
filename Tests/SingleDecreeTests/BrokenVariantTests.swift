import Paxos
import Simulation
import SynodCore
import Testing

/// The checkers can fail: each deliberately broken variant breaks agreement on a known
/// seed, and the same seed is clean without the bug.
@Suite struct BrokenVariantTests {
    static func options(_ bugs: Set<SingleDecree.Bug>) -> SingleDecreeOptions {
        var options = SingleDecreeOptions(faults: .swarm)
        options.bugs = bugs
        return options
    }

    @Test(arguments: [
        (SingleDecree.Bug.ignoreAccepted, SingleDecreeBugSeeds.ignoreAccepted),
        (SingleDecree.Bug.replyBeforePersist, SingleDecreeBugSeeds.replyBeforePersist),
    ])
    func aBrokenVariantLetsTwoValuesBeChosen(bug: SingleDecree.Bug, seed: UInt64) {
        let broken = Self.options([bug])
        var simulation = SingleDecreeSimulation(options: broken, seed: seed)
        let report = simulation.run()
        #expect(
            report.violation?.invariant == "agreement", failureMessage(report, broken, "\(bug.rawValue) not caught"))
        #expect(report.violation?.kind == .safety)

        let correct = Self.options([])
        var again = SingleDecreeSimulation(options: correct, seed: seed)
        let clean = again.run()
        #expect(clean.violation == nil, failureMessage(clean, correct, "the correct protocol failed"))
    }

    /// Most crashes that lose a sent promise do no visible harm; the checker still
    /// reports the loss itself, at the crash, when no worse consequence follows.
    @Test func aCrashThatForgetsASentReplyIsCaughtEvenWithoutTwoValuesChosen() {
        let options = Self.options([.replyBeforePersist])
        var simulation = SingleDecreeSimulation(options: options, seed: SingleDecreeBugSeeds.forgottenReply)
        let report = simulation.run()
        #expect(
            report.violation?.invariant == "persist-before-reply",
            failureMessage(report, options, "the forgotten reply was not reported"))
        #expect(report.violation?.detail.contains("crashed and forgot") ?? false)
    }

    @Test func replyingBeforePersistingIsCaughtInMostCrashSeeds() async {
        var options = SingleDecreeOptions(faults: .crash)
        options.bugs = [.replyBeforePersist]
        let reports = await sweep(options, seeds: 1...20)
        let caught = reports.filter { $0.violation?.kind == .safety }.count
        #expect(caught >= 10, "only \(caught) of 20 crash seeds caught reply-before-persist")
    }

    @Test func ignoringAcceptedValuesIsCaughtWithoutAnyFault() async {
        let options = {
            var options = SingleDecreeOptions(faults: .none)
            options.bugs = [.ignoreAccepted]
            return options
        }()
        let reports = await sweep(options, seeds: 1...20)
        let caught = reports.filter { $0.violation?.invariant == "agreement" }.count
        #expect(caught >= 10, "only \(caught) of 20 seeds caught ignore-accepted with no faults")
    }
}
