import Foundation
import SynodServer
import SynodTestSupport
import Testing

/// The lines scripts read from the cluster commands keep their shape: `cluster start`'s
/// `node N: redis-cli -p PORT`, `cluster status`'s `node N: pid P, client port C, role
/// R, term T`, and `SYNOD.STATUS`'s `key=value` fields, whose first seven keep their
/// names and order (new fields go at the end).
@Suite(.serialized) struct ClusterScriptLinesTests {
    @Test func theLinesScriptsReadKeepTheirShape() throws {
        let binary = try #require(SynodProcess.binary, "\(SynodProcess.missingBinaryMessage)")
        let base = try #require(RealCluster.freeBasePort(size: 3), "no free ports")
        let directory = freshDirectory("synod-lines")
        defer { stopCluster(binary, in: directory) }

        let start = try runCapturing(binary, ["cluster", "start", "--dir", directory, "--base-port", "\(base)"])
        try #require(start.status == 0, "\(start.summary)")
        let connectLines = start.output.split(separator: "\n").filter { $0.hasPrefix("node ") }
        #expect(connectLines == (1...3).map { "node \($0): redis-cli -p \(base + 100 + $0)" }, "\(start.summary)")

        let status = try runCapturing(binary, ["cluster", "status", "--dir", directory])
        #expect(status.status == 0, "\(status.summary)")
        let nodeLine =
            /node ([1-3]): pid [1-9][0-9]*, client port ([0-9]+), role (leader|follower|pre-candidate|candidate), term [0-9]+/
        let lines = status.output.split(separator: "\n")
        #expect(lines.count == 3, "\(status.summary)")
        for (index, line) in lines.enumerated() {
            let match = try #require(line.wholeMatch(of: nodeLine), "'\(line)' lost its shape\n\(status.summary)")
            #expect(match.1 == "\(index + 1)" && match.2 == "\(base + 101 + index)", "\(status.summary)")
        }

        let client = try RESPClient(host: "127.0.0.1", port: base + 101, timeout: 2)
        guard case .bulkString(let bytes?) = try client.call("SYNOD.STATUS") else {
            Issue.record("SYNOD.STATUS answered no bulk string")
            return
        }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        let keys = fields.prefix(7).map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? "" }
        #expect(keys == ["id", "role", "term", "leader", "commit", "applied", "last"], "\(fields)")
        #expect(fields.first == "id=1", "\(fields)")
    }
}
