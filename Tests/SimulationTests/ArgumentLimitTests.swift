import Foundation
import SynodTestSupport
import Testing

/// Every numeric option of every `synod` subcommand, given a value outside its limits
/// (below, above, negative, too large for any integer, not a number), is refused before
/// any work: exit 2, nothing on standard output, a message on standard error that names
/// the option and its limit, and no trap. A value that slipped through once trapped in a
/// checker (`--nodes 65`, exit 132 and a backtrace), and `--seeds -1` said "Missing value"
/// instead of the reason.
@Suite struct ArgumentLimitTests {
    /// One refused command line and the words its message must hold.
    struct Refusal: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        /// The option's name and its limit, as the message words them.
        var expected: [String]
        var testDescription: String { "synod " + arguments.joined(separator: " ") }
    }

    /// A refused value must be refused at once; this is room for a loaded machine, and
    /// the bound that stops a value that was not refused from running on.
    static let deadline: TimeInterval = 30

    /// Each of `values` for `option` after `command` (and `extra`), all refused with a
    /// message naming `option` and `limit`.
    static func refusals(
        _ command: [String], _ option: String, _ values: [String], limit: String, extra: [String] = []
    ) -> [Refusal] {
        values.map { Refusal(arguments: command + extra + [option, $0], expected: [option, limit]) }
    }

    /// Values outside a whole-number option's range `low...high`: one below, -1, one
    /// above, the largest 64-bit integer (which once overflowed arithmetic or allocations
    /// after parsing) and one no integer type holds.
    static func wholeNumbers(below low: Int, above high: Int) -> [String] {
        let values = ["\(low - 1)", "-1", "\(high + 1)", "\(Int.max)", "99999999999999999999999"]
        return Array(Set(values)).sorted()
    }

    static let seedWords = ["-1", "18446744073709551616", "1e3", "seven"]

    static let simulator: [Refusal] =
        refusals(["sim"], "--nodes", wholeNumbers(below: 1, above: 64), limit: "1...64")
        + refusals(["sim"], "--nodes", ["65"], limit: "1...64", extra: ["--protocol", "multipaxos"])
        + refusals(["sim"], "--seeds", wholeNumbers(below: 1, above: 1_000_000), limit: "1...1000000")
        + refusals(["sim"], "--seed", seedWords, limit: "0...18446744073709551615")
        + refusals(["sim"], "--duration", ["0s", "-1s", "61m", "9999999h", "ten"], limit: "at most 1h")
        + refusals(["sim"], "--rate", wholeNumbers(below: 0, above: 1_000_000), limit: "0...1000000")
        + refusals(
            ["sim"], "--clock-drift", wholeNumbers(below: 0, above: 300_000), limit: "0...300000")
        + refusals(["sim"], "--phase1-quorum", ["0", "-1"], limit: "1...64", extra: ["--protocol", "multipaxos"])
        + refusals(["sim"], "--phase1-quorum", ["6"], limit: "1...5", extra: ["--protocol", "multipaxos"])
        + refusals(["sim"], "--phase2-quorum", ["0", "-1", "65"], limit: "1...64", extra: ["--protocol", "paxos"])
        + refusals(["sim"], "--phase2-quorum", ["6"], limit: "1...5", extra: ["--protocol", "paxos"])
        + refusals(["compare"], "--nodes", wholeNumbers(below: 1, above: 64), limit: "1...64")
        + refusals(
            ["compare"], "--seeds", wholeNumbers(below: 1, above: 1_000_000), limit: "1...1000000")
        + refusals(["compare"], "--duration", ["0s", "-1s", "2h"], limit: "at most 1h")
        + refusals(
            ["compare"], "--rate", wholeNumbers(below: 1, above: 1_000_000), limit: "1...1000000")
        + refusals(["compare"], "--phase1-quorum", ["0", "-2"], limit: "1...64")
        + refusals(["compare"], "--phase1-quorum", ["9"], limit: "1...5")

    static let scenarios: [Refusal] =
        refusals(
            ["scenario", "run", "partial-partition"], "--seeds", wholeNumbers(below: 1, above: 1_000_000),
            limit: "1...1000000")
        + refusals(
            ["scenario", "run", "dueling-proposers"], "--seeds", ["0", "-1"], limit: "1...1000000")
        + refusals(["scenario", "run", "commit-wait"], "--seeds", ["-5"], limit: "1...1000000")
        + refusals(
            ["scenario", "run", "commit-wait"], "--epsilon", ["-1ms", "101ms", "1ms,-7ms", "fast"],
            limit: "0...100ms")
        + refusals(
            ["scenario", "run", "partial-partition"], "--phase2-quorum", ["-1"], limit: "1...64",
            extra: ["--protocol", "multipaxos"])
        + refusals(
            ["scenario", "run", "partial-partition"], "--phase2-quorum", ["6"], limit: "1...5",
            extra: ["--protocol", "multipaxos"])
        + refusals(
            ["scenario", "matrix"], "--seeds", wholeNumbers(below: 1, above: 1_000_000),
            limit: "1...1000000")

    static let benches: [Refusal] =
        refusals(
            ["bench", "sim"], "--seconds-virtual", wholeNumbers(below: 1, above: 3_600), limit: "1...3600"
        )
        + refusals(
            ["bench", "sim"], "--repeat", wholeNumbers(below: 1, above: 1_000), limit: "1...1000")
        + refusals(["bench", "sim"], "--seed", seedWords, limit: "0...18446744073709551615")
        + refusals(["bench", "checker"], "--seed", seedWords, limit: "0...18446744073709551615")
        + refusals(
            ["bench", "checker"], "--operations", wholeNumbers(below: 1, above: 10_000_000),
            limit: "1...10000000")
        + refusals(
            ["bench", "checker"], "--keys", wholeNumbers(below: 1, above: 1_000_000), limit: "1...1000000"
        )
        + refusals(
            ["bench", "checker"], "--clients", wholeNumbers(below: 1, above: 10_000), limit: "1...10000")
        + refusals(["bench", "checker"], "--info-rate", ["-0.5", "1.5", "nan"], limit: "0...1")
        + refusals(["bench", "checker"], "--fail-rate", ["-0.01", "2", "inf"], limit: "0...1")
        + refusals(["bench", "checker"], "--plant-at", ["-1", "1.01"], limit: "0...1")
        + refusals(
            ["bench", "wal"], "--seconds", ["0", "-1", "3601", "nan", "inf"], limit: "at most 3600")
        + refusals(
            ["bench", "wal"], "--records", wholeNumbers(below: 1, above: 10_000_000),
            limit: "1...10000000")
        + refusals(
            ["bench", "wal"], "--segment-size", ["4095", "-1", "1073741825", "\(Int.max)", "99999999999999999999999"],
            limit: "4096...1073741824")
        + refusals(
            ["bench", "bugs"], "--seeds", wholeNumbers(below: 1, above: 100_000), limit: "1...100000")

    static let spanWords = ["0s", "-1ms", "9999999h", "ten"]

    /// Never created: each value is refused before the command touches its directory.
    static let unused = FileManager.default.temporaryDirectory.appendingPathComponent("synod-limits-unused").path
    /// A directory no command can create (its parent is a device), for the commands that
    /// start servers: a value that slipped through fails there, before any process
    /// starts, and exits 1 instead of 2.
    static let uncreatable = "/dev/null/synod-limits"

    /// `synod serve` with each numeric option, and each number inside `--cluster`, out of
    /// range. Its data directory does not exist and `--bootstrap` is not given, so a value
    /// that slipped through ends at the data check without binding a port.
    static let serve: [Refusal] = {
        let members = ["--cluster", "1=127.0.0.1:7101"]
        let data = ["--data", unused]
        let serve = ["serve", "--id", "1"] + members + data
        let ready = serve + ["--client-port", "7201"]
        let withoutMembers = ["serve", "--id", "1"] + data + ["--client-port", "7201"]
        let ids = "1...4611686018427387904"
        return refusals(
            ["serve"] + members + data + ["--client-port", "7201"], "--id",
            wholeNumbers(below: 1, above: 1 << 62), limit: ids)
            + refusals(serve, "--client-port", wholeNumbers(below: 1, above: 65_535), limit: "1...65535")
            + refusals(ready, "--metrics-port", wholeNumbers(below: 1, above: 65_535), limit: "1...65535")
            + refusals(ready, "--heartbeat-interval", spanWords + ["61s"], limit: "at most 1m")
            + refusals(ready, "--election-timeout", spanWords + ["25h"], limit: "at most 24h")
            + refusals(ready, "--election-timeout", ["100ms"], limit: "at least 5 × --heartbeat-interval")
            + refusals(
                ready, "--max-frame-size",
                ["0", "-1", "4194431", "1073741825", "\(Int.max)", "99999999999999999999999"],
                limit: "4194432...1073741824")
            + refusals(
                ready, "--snapshot-every", wholeNumbers(below: 0, above: 1_000_000_000), limit: "0...1000000000")
            + refusals(
                withoutMembers, "--cluster",
                [
                    "1=127.0.0.1:0", "1=127.0.0.1:65536", "1=127.0.0.1:-1", "1=127.0.0.1:99999999999999999999",
                    "1=127.0.0.1:7101,2=127.0.0.1:99999",
                ], limit: "1...65535")
            + refusals(
                withoutMembers, "--cluster",
                ["1=127.0.0.1:7101,0=127.0.0.1:7102", "-1=127.0.0.1:7101", "4611686018427387905=127.0.0.1:7101"],
                limit: ids)
    }()

    /// `synod cluster start` (stop and status take no numbers): each value is refused
    /// before the directory is made or a server starts.
    static let clusterStart: [Refusal] = {
        let start = ["cluster", "start", "--dir", uncreatable]
        return refusals(start, "--nodes", wholeNumbers(below: 1, above: 9), limit: "1...9")
            + refusals(start, "--base-port", wholeNumbers(below: 1_024, above: 65_000), limit: "1024...65000")
            + refusals(start, "--timeout", wholeNumbers(below: 1, above: 3_600), limit: "1...3600")
            + refusals(start, "--heartbeat-interval", spanWords + ["61s"], limit: "at most 1m")
            + refusals(start, "--election-timeout", spanWords + ["25h"], limit: "at most 24h")
            + refusals(
                start, "--snapshot-every", wholeNumbers(below: 0, above: 1_000_000_000), limit: "0...1000000000")
    }()

    /// `synod kv` and `synod bench kv`, aimed at a port nothing serves, so that a value
    /// that slipped through reaches no server (and `--start-cluster` at a directory that
    /// cannot be made, so that it starts none).
    static let clients: [Refusal] = {
        let ports = [
            "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:99999999999999999999",
        ]
        let kv = ["kv", "get", "key"]
        let bench = ["bench", "kv", "--target", "127.0.0.1:1"]
        let started = ["bench", "kv", "--start-cluster", "--dir", uncreatable]
        return refusals(
            kv + ["--endpoints", "127.0.0.1:1"], "--timeout", ["0", "-1", "3601", "nan", "inf", "ten"],
            limit: "at most 3600")
            + refusals(kv, "--endpoints", ports + ["127.0.0.1:1," + ports[1]], limit: "1...65535")
            // An empty list once trapped: picking the next address divided by zero.
            + refusals(kv, "--endpoints", ["", ","], limit: "at least one host:port")
            + refusals(bench, "--clients", wholeNumbers(below: 1, above: 1_024), limit: "1...1024")
            + refusals(bench, "--ops", wholeNumbers(below: 1, above: 1_000_000_000), limit: "1...1000000000")
            + refusals(bench, "--seconds", ["0", "-1", "3601", "nan", "inf"], limit: "at most 3600")
            + refusals(bench, "--value-size", wholeNumbers(below: 0, above: 64 << 20), limit: "0...67108864")
            + refusals(bench, "--read-ratio", ["-0.1", "-1", "1.5", "nan"], limit: "0...1")
            + refusals(bench, "--keys", wholeNumbers(below: 1, above: 10_000_000), limit: "1...10000000")
            + refusals(bench, "--timeout", ["0", "-1", "601", "nan", "inf"], limit: "at most 600")
            + refusals(bench, "--seed", seedWords, limit: "0...18446744073709551615")
            + refusals(["bench", "kv"], "--target", ports, limit: "1...65535")
            + refusals(started, "--base-port", wholeNumbers(below: 1_024, above: 65_000), limit: "1024...65000")
            + refusals(started, "--heartbeat-interval", spanWords + ["61s"], limit: "at most 1m")
            + refusals(started, "--election-timeout", spanWords + ["25h"], limit: "at most 24h")
    }()

    @Test(arguments: simulator)
    func theSimulatorsRefuse(_ refusal: Refusal) throws { try Self.expectRefused(refusal) }

    @Test(arguments: scenarios)
    func theScenariosRefuse(_ refusal: Refusal) throws { try Self.expectRefused(refusal) }

    @Test(arguments: benches)
    func theBenchesRefuse(_ refusal: Refusal) throws { try Self.expectRefused(refusal) }

    @Test(arguments: serve)
    func theServerRefuses(_ refusal: Refusal) throws { try Self.expectRefused(refusal) }

    @Test(arguments: clusterStart)
    func clusterStartRefuses(_ refusal: Refusal) throws { try Self.expectRefused(refusal) }

    @Test(arguments: clients)
    func theClientsRefuse(_ refusal: Refusal) throws { try Self.expectRefused(refusal) }

    static func expectRefused(_ refusal: Refusal) throws {
        let binary = try #require(
            SynodProcess.binary, Comment(rawValue: SynodProcess.missingBinaryMessage))
        let outcome = try SynodProcess.run(binary, refusal.arguments, deadline: Self.deadline)
        let described = Comment(
            rawValue:
                "\(refusal.testDescription): exit \(outcome.status)\(outcome.timedOut ? " (killed: still running)" : "")\n"
                + "stdout: \(outcome.output.prefix(2_000))\nstderr: \(outcome.errors.prefix(2_000))")
        #expect(!outcome.timedOut, described)
        #expect(outcome.status == 2, described)
        #expect(outcome.output.isEmpty, described)
        for word in refusal.expected {
            #expect(outcome.errors.contains(word), described)
        }
        for trap in ["Fatal error", "Stack dump", "backtrace", "Crash", "precondition"] {
            #expect(!outcome.errors.contains(trap), described)
        }
    }
}
