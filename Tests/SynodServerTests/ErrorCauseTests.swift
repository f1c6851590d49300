import Foundation
import SynodServer
import SynodTestSupport
import Testing

/// Each error names its cause: which listener could not bind, which node a restart
/// brought back, a key that is absent.
@Suite(.serialized) struct ErrorCauseTests {
    /// A socket listening on an ephemeral loopback port, closed on `deinit`.
    final class TakenPort {
        let descriptor: Int32
        let port: Int

        init() throws {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, length) == 0 && listen(socket, 1) == 0 && getsockname(socket, $0, &length) == 0
                }
            }
            guard bound else {
                close(socket)
                throw RealClusterError("cannot take a port: \(String(cString: strerror(errno)))")
            }
            descriptor = socket
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(descriptor) }
    }

    @Test(arguments: ["client", "peer"])
    func aTakenPortIsNamedAndLeavesNoDataDirectoryBehind(listener: String) throws {
        let binary = try #require(SynodProcess.binary, "\(SynodProcess.missingBinaryMessage)")
        let taken = try TakenPort()
        let free = try #require(RealCluster.freeBasePort(size: 1)) + 1
        let peerPort = listener == "peer" ? taken.port : free
        let clientPort = listener == "client" ? taken.port : free + 100
        let directory = freshDirectory("synod-bind")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/n1"

        let serve = try runCapturing(
            binary,
            [
                "serve", "--id", "1", "--cluster", "1=127.0.0.1:\(peerPort)", "--data", data, "--client-port",
                "\(clientPort)", "--bootstrap",
            ], timeout: 30)
        #expect(serve.status != 0, "\(serve.summary)")
        #expect(
            serve.errors.contains("\(listener) port \(taken.port): address already in use"),
            "the error does not name the listener and its port\n\(serve.summary)")
        #expect(
            !FileManager.default.fileExists(atPath: data),
            "a half-initialized data directory is left: \((try? FileManager.default.contentsOfDirectory(atPath: data)) ?? [])"
        )
    }

    @Test func restartingAStoppedNodeSaysWhichNode() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        cluster.kill(2)
        let gone = poll(timeout: 10) { cluster.isGone(2) ? true : nil }
        try #require(gone == true, "n2 is still there")

        let start = try runCapturing(
            cluster.binary, ["cluster", "start", "--dir", cluster.directory, "--base-port", "\(cluster.basePort)"])
        #expect(start.status == 0, "\(start.summary)")
        #expect(start.output.contains("restarted node 2"), "it does not say which node it restarted\n\(start.summary)")
        #expect(!start.output.contains("restarted node 1"), "\(start.summary)")
        #expect(!start.output.contains("restarted node 3"), "\(start.summary)")
    }

    @Test func kvGetOfAnAbsentKeyExitsOneAndCasTellsAbsentFromEmpty() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let endpoints = ["--endpoints", cluster.clientPorts.map { "127.0.0.1:\($0)" }.joined(separator: ",")]
        func kv(_ words: [String]) throws -> CommandOutcome {
            try runCapturing(cluster.binary, ["kv"] + words + endpoints)
        }

        let missing = try kv(["get", "never-written"])
        #expect(missing.status == 1, "an absent key is not told from a present one\n\(missing.summary)")
        #expect(missing.output.isEmpty, "\(missing.summary)")
        #expect(try kv(["put", "k", "v"]).status == 0)
        let present = try kv(["get", "k"])
        #expect(present.status == 0 && present.output == "v\n", "\(present.summary)")

        // The empty string is a value; absence is said with --absent.
        #expect(try kv(["put", "empty", ""]).status == 0)
        let fromAbsent = try kv(["cas", "empty", "--from-absent", "x"])
        #expect(fromAbsent.status == 1, "an empty value was taken for absent\n\(fromAbsent.summary)")
        let fromEmpty = try kv(["cas", "empty", "", "x"])
        #expect(fromEmpty.status == 0, "\(fromEmpty.summary)")
        let create = try kv(["cas", "fresh", "--from-absent", ""])
        #expect(create.status == 0, "\(create.summary)")
        let read = try kv(["get", "fresh"])
        #expect(read.status == 0 && read.output == "\n", "the empty value was not written\n\(read.summary)")
        let delete = try kv(["cas", "fresh", "", "--to-absent"])
        #expect(delete.status == 0, "\(delete.summary)")
        #expect(try kv(["get", "fresh"]).status == 1)
    }
}
