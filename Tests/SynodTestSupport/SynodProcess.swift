import Foundation

/// What one run of the built `synod` binary did.
public struct SynodOutcome: Sendable {
    public var status: Int32
    /// Standard output, byte for byte.
    public var bytes: Data
    public var errors: String
    /// Killed at the run's deadline, still running.
    public var timedOut = false

    public var output: String { String(decoding: bytes, as: UTF8.self) }

    public var lines: [Substring] { output.split(separator: "\n") }
}

/// The `synod` command line as a user runs it, for the test targets that check it.
public enum SynodProcess {
    /// The `synod` executable in the products directory that holds the test bundle (or
    /// at `$SYNOD_BINARY`), or nil.
    public static let binary: URL? = {
        let files = FileManager.default
        if let path = ProcessInfo.processInfo.environment["SYNOD_BINARY"] {
            return files.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
        }
        var starts = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { starts.append(executable) }
        starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        for start in starts {
            // The bundle is `.build/<config>/X.xctest` (a directory on Darwin, with the
            // binary deep inside it): walk up until a directory holds `synod`.
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

    /// Why `binary` is nil, for a test's failure message.
    public static var missingBinaryMessage: String {
        if let override = ProcessInfo.processInfo.environment["SYNOD_BINARY"] {
            return "SYNOD_BINARY=\(override) is not an executable file"
        }
        return """
            could not find the synod executable next to the test bundle \
            (\(CommandLine.arguments[0])); build it with `swift build --build-tests`, or set SYNOD_BINARY
            """
    }

    /// Runs `binary` with `arguments`. Output goes to files, not pipes, so a long trace
    /// cannot fill a pipe and stall the child. With a `deadline`, a run still going then
    /// is terminated (killed 10 s later if need be) and marked `timedOut`.
    public static func run(_ binary: URL, _ arguments: [String], deadline: TimeInterval? = nil) throws
        -> SynodOutcome
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synod-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        for url in [outputURL, errorURL] {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        }
        let output = try FileHandle(forWritingTo: outputURL)
        let errors = try FileHandle(forWritingTo: errorURL)

        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        var timedOut = false
        if let deadline, exited.wait(timeout: .now() + deadline) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 10) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        } else if deadline == nil {
            exited.wait()
        }
        try output.close()
        try errors.close()
        return SynodOutcome(
            status: process.terminationStatus,
            bytes: try Data(contentsOf: outputURL),
            errors: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self), timedOut: timedOut)
    }
}
