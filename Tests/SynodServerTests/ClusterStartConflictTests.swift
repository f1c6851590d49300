import Foundation
import SynodServer
import SynodTestSupport
import Testing

/// `synod cluster start` on ports another cluster already holds: the new servers cannot
/// bind and exit, while the old ones go on answering on those very ports. The start
/// must see that the servers answering are not its own, exit 1 with the reason from the
/// logs, and `cluster status` of the new directory must not show the other cluster's
/// servers as its own.
@Suite(.serialized) struct ClusterStartConflictTests {
    @Test func aSecondClusterOnTakenPortsFailsWithTheReasonAndIsNotShownAsRunning() throws {
        let first = try RealCluster.launch()
        defer { first.stop() }
        let directory = freshDirectory("synod-conflict")
        defer { stopCluster(first.binary, in: directory) }

        let start = try runCapturing(
            first.binary, ["cluster", "start", "--dir", directory, "--base-port", "\(first.basePort)"])
        #expect(start.status == 1, "a start whose servers all died succeeded\n\(start.summary)")
        #expect(start.errors.contains("address already in use"), "the reason is not given\n\(start.summary)")
        #expect(!start.output.contains("redis-cli"), "it told the user to connect\n\(start.summary)")

        let status = try runCapturing(first.binary, ["cluster", "status", "--dir", directory])
        #expect(status.status == 1, "no server of the cluster is up, yet status exits 0\n\(status.summary)")
        #expect(!status.output.contains("role "), "another cluster's server is shown as this one's\n\(status.summary)")

        let original = try runCapturing(first.binary, ["cluster", "status", "--dir", first.directory])
        #expect(original.status == 0, "\(original.summary)")
        #expect(
            original.output.split(separator: "\n").filter { $0.contains(", role ") }.count == 3, "\(original.summary)")
    }
}
