import Foundation
import SynodTestSupport
import Testing

/// `synod check` as a user runs it: the built binary on temporary files, judged by its
/// exit status (0 linearizable, 1 not, 2 malformed or unreadable) and what it prints.
@Suite struct CheckCommandTests {
    /// Writes `history` to a temporary file, runs `synod check` on it, and cleans up.
    static func check(history: String?, arguments extra: [String] = []) throws -> SynodOutcome {
        let binary = try #require(SynodProcess.binary, Comment(rawValue: SynodProcess.missingBinaryMessage))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "synod-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("history.jsonl")
        if let history { try Data(history.utf8).write(to: file) }
        return try SynodProcess.run(binary, ["check"] + (extra.isEmpty ? [file.path] : extra))
    }

    static let writes = """
        {"client":1,"op":"put","key":"x","value":"1","call":0,"return":10,"status":"ok"}
        {"client":1,"op":"put","key":"x","value":"2","call":20,"return":30,"status":"ok"}
        {"client":3,"op":"put","key":"y","value":"9","call":20,"return":30,"status":"info"}
        """

    @Test func aLinearizableHistoryExitsZero() throws {
        let outcome = try Self.check(
            history: Self.writes + "\n"
                + #"{"client":2,"op":"get","key":"x","value":"2","call":40,"return":50,"status":"ok"}"#)
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output == "linearizable: 4 operations, 2 keys\n")
    }

    @Test func aStaleReadExitsOneAndPrintsTheOperations() throws {
        let read = #"{"client":2,"op":"get","key":"x","value":"1","call":40,"return":50,"status":"ok"}"#
        let outcome = try Self.check(history: Self.writes + "\n" + read + "\n")
        #expect(outcome.status == 1, "\(outcome)")
        let lines = outcome.output.split(separator: "\n").map(String.init)
        #expect(lines.first == #"not linearizable: key "x""#)
        #expect(lines.contains(read))
        #expect(lines.contains(#"{"client":1,"op":"put","key":"x","value":"2","call":20,"return":30,"status":"ok"}"#))
        #expect(lines.last?.contains("stale read") == true)
    }

    @Test func aMalformedLineExitsTwoAndNamesIt() throws {
        let outcome = try Self.check(history: Self.writes + "\n" + #"{"client":2,"op":"get","key":"x","call":40}"#)
        #expect(outcome.status == 2, "\(outcome)")
        #expect(outcome.errors.contains("line 4:"), "\(outcome)")
        #expect(outcome.output.isEmpty)
    }

    @Test func aMissingFileExitsTwo() throws {
        let outcome = try Self.check(history: nil)
        #expect(outcome.status == 2, "\(outcome)")
        #expect(outcome.errors.contains("no such file"), "\(outcome)")
    }

    @Test func badArgumentsExitTwo() throws {
        let outcome = try Self.check(history: "", arguments: ["one", "two"])
        #expect(outcome.status == 2, "\(outcome)")
    }
}
