import Foundation
import SynodServer
import SynodTestSupport
import Testing

/// `synod` need not be on the PATH (a user who ran `swift run` has it only under
/// `.build`): the stop command `cluster start` prints must run as printed.
@Suite(.serialized) struct ClusterCommandHintTests {
    @Test func theStopCommandThatStartPrintsRunsAsPrinted() throws {
        let binary = try #require(SynodProcess.binary, "\(SynodProcess.missingBinaryMessage)")
        let base = try #require(RealCluster.freeBasePort(size: 1), "no free ports")
        let directory = freshDirectory("synod-hint")
        defer { stopCluster(binary, in: directory) }

        let start = try runCapturing(
            binary, ["cluster", "start", "--nodes", "1", "--dir", directory, "--base-port", "\(base)"])
        try #require(start.status == 0, "\(start.summary)")
        let hint = try #require(
            start.output.split(separator: "\n").first { $0.contains("cluster stop") }, "\(start.summary)")
        let command = try #require(hint.range(of: "stop with: ").map { hint[$0.upperBound...] }, "\(hint)")
        let words = command.split(separator: " ").map(String.init)
        let program = try #require(words.first)
        let path =
            program.contains("/")
            ? program
            : (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
                .map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let runnable = try #require(path, "'\(program)' is not on the PATH: the printed command cannot run\n\(hint)")
        #expect(FileManager.default.isExecutableFile(atPath: runnable), "\(hint)")

        let stop = try runCapturing(URL(fileURLWithPath: runnable), Array(words.dropFirst()))
        #expect(stop.status == 0, "\(stop.summary)")
        #expect(stop.output.contains("node 1: stopped"), "\(stop.summary)")
    }
}
