import Foundation
import SynodServer
import SynodTestSupport

/// What one `synod` command printed, both streams, and its exit status.
struct CommandOutcome {
    var status: Int32
    var output: String
    var errors: String

    var summary: String { "exit \(status)\n--- stdout\n\(output)--- stderr\n\(errors)" }
}

/// Runs `binary` with `arguments` like `runSynod` (posix_spawn, no inherited socket,
/// SIGKILL after `timeout` seconds) and keeps standard output too.
func runCapturing(_ binary: URL, _ arguments: [String], timeout: Double = 60) throws -> CommandOutcome {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synod-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outputPath = directory.appendingPathComponent("stdout").path
    let errorPath = directory.appendingPathComponent("stderr").path
    let pid = try spawnSynod(binary, arguments, output: outputPath, errors: errorPath, append: false)
    var status: Int32 = 0
    let exited = poll(timeout: timeout, interval: 10_000) { waitpid(pid, &status, WNOHANG) == pid ? true : nil }
    if exited == nil {
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        throw RealClusterError("synod \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
    }
    // WIFEXITED / WEXITSTATUS are macros Swift does not import.
    let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return CommandOutcome(
        status: code, output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
        errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}

/// A fresh directory name under the temporary directory (not created).
func freshDirectory(_ prefix: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
}

/// Stops whatever `synod cluster start` launched in `directory` and removes it.
func stopCluster(_ binary: URL, in directory: String) {
    _ = try? runSynod(binary, ["cluster", "stop", "--dir", directory])
    if let text = try? String(contentsOfFile: directory + "/cluster.txt", encoding: .utf8) {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").compactMap { Int32($0) }
            if fields.count == 4, fields[1] > 0, kill(fields[1], 0) == 0 { kill(fields[1], SIGKILL) }
        }
    }
    try? FileManager.default.removeItem(atPath: directory)
}
