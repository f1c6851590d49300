import ArgumentParser
import Lab
import Paxos

/// `synod scenario run dueling-proposers`: the single-decree livelock, measured per
/// variant; exit 0 when every variant shows the outcome it is expected to show.
extension ScenarioRun {
    func runDuelingProposers() throws {
        let seeds = self.seeds
        var output = StandardStream.output
        print(
            "scenario: \(DuelingProposers.name), seeds: 1...\(seeds), window \(DuelingProposers.window) per run",
            to: &output)
        var allAsExpected = true
        for variant in DuelingProposers.variants {
            let results = parallelMap(seeds) { DuelingProposers.run(variant, seed: UInt64($0 + 1)) }
            let summary = DuelingProposers.Summary(variant: variant, results: results)
            let got = summary.outcome?.rawValue ?? "mixed"
            var line =
                "variant \(variant.name): expected \(variant.expected.rawValue), got \(got) "
                + "(chosen in \(summary.chosenCount) of \(seeds) seeds; ballots tried: mean "
                + formatFixed(summary.meanBallots, decimals: 1)
            let times = summary.timesToChoose
            if let worst = times.last {
                line +=
                    "; time to choose: median \(formatFixed(times[times.count / 2], decimals: 2)) ms, "
                    + "max \(formatFixed(worst, decimals: 2)) ms"
            }
            print(line + ")", to: &output)
            for failed in summary.violations {
                print("seed \(failed.seed): \(failed.violation!)", to: &output)
            }
            if summary.outcome != variant.expected || !summary.violations.isEmpty { allAsExpected = false }
        }
        if !allAsExpected { throw ExitCode(1) }
    }
}
