import Foundation
import Testing

/// `synod check` as a user runs it: the built binary on temporary files, judged by its
/// exit status (0 linearizable, 1 not, 2 malformed or unreadable) and what it prints.
@Suite struct CheckCommandTests {
    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    /// The `synod` executable in the products directory that holds the test bundle (or
    /// at `$SYNOD_BINARY`), or nil. (The same lookup as SimulationTests' command-line tests.)
    static let binary: URL? = {
        let files = FileManager.default
        if let path = ProcessInfo.processInfo.environment["SYNOD_BINARY"] {
            return files.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
        }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { starts.append(executable) }
        starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<5 {
                let candidate = directory.appendingPathComponent("synod")
                var isDirectory: ObjCBool = false
                if files.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    files.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }()

    /// Writes `history` to a temporary file, runs `synod check` on it, and cleans up.
    static func check(history: String?, arguments extra: [String] = []) throws -> Outcome {
        let binary = try #require(
            binary,
            "could not find the synod executable next to the test bundle; build it with `swift build --build-tests`, or set SYNOD_BINARY"
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "synod-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("history.jsonl")
        if let history { try Data(history.utf8).write(to: file) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let errors = try FileHandle(forWritingTo: errorURL)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["check"] + (extra.isEmpty ? [file.path] : extra)
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try output.close()
        try errors.close()
        return Outcome(
            status: process.terminationStatus,
            output: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            errors: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
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
