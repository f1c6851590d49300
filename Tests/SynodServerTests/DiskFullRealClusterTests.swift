import Foundation
import SynodServer
import SynodTestSupport
import Testing

/// A real three-node cluster whose servers each keep their data on a small tmpfs of
/// their own: the leader's fills up, and the cluster must elect another leader and go
/// on taking writes within seconds; once space is freed the server writes again and
/// rejoins. Needs root (to mount); without it the test is cancelled, saying why.
@Suite(.serialized) struct DiskFullRealClusterTests {
    @Test func aLeaderWhoseDiskFillsHandsOverAndRejoinsOnceSpaceIsFreed() throws {
        guard let binary = SynodProcess.binary else {
            Issue.record(Comment(rawValue: SynodProcess.missingBinaryMessage))
            return
        }
        let cluster = TmpfsCluster()
        defer { cluster.stop() }
        if let reason = cluster.mountDisks(count: 3, size: "4m") {
            try Test.cancel(Comment(rawValue: "cannot mount a size-limited tmpfs (\(reason)); this test needs root"))
        }
        try cluster.start(binary: binary)
        let leader = try #require(poll(timeout: 10) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        for key in 0..<20 {
            #expect(cluster.set(on: leader.id, "k\(key)", "before") == true, "\(cluster.logTails())")
        }

        let filled = try cluster.fillDisk(of: leader.id)
        let start = monotonicNow()
        // Writes keep coming to the old leader; one soon fails on its full disk, and
        // another server leads and acknowledges writes.
        var attempt = 0
        let newLeader = poll(timeout: 10, interval: 10_000) { () -> Int? in
            attempt += 1
            if let status = cluster.leader(), status.id != leader.id,
                cluster.set(on: status.id, "during\(attempt)", "v", timeout: 1) == true
            {
                return status.id
            }
            _ = cluster.set(on: leader.id, "during\(attempt)", "v", timeout: 0.2)
            return nil
        }
        let took = seconds(since: start)
        print("disk full on n\(leader.id) (\(filled) bytes of filler): n\(newLeader ?? 0) took writes after \(took) s")
        let elected = try #require(newLeader, "no other server took writes within 10 s\n\(cluster.logTails())")
        #expect(took < 5, "\(took) s until another leader took writes\n\(cluster.logTails())")
        #expect(cluster.metric(leader.id, "synod_disk_healthy") == 0, "\(cluster.logTails())")
        #expect(cluster.log(leader.id).contains("disk cannot write"), "\(cluster.logTails())")
        // It stays out of leadership while its disk is full.
        for key in 0..<20 { _ = cluster.set(on: elected, "k\(key)", "during") }
        #expect(cluster.leader()?.id != leader.id, "\(cluster.logTails())")

        try FileManager.default.removeItem(atPath: cluster.fillerPath(of: leader.id))
        let freed = monotonicNow()
        let target = cluster.status(elected)?.commit ?? 0
        let rejoined = poll(timeout: 10) { () -> Bool? in
            guard cluster.metric(leader.id, "synod_disk_healthy") == 1, let status = cluster.status(leader.id),
                status.applied >= target
            else { return nil }
            return true
        }
        print("n\(leader.id) wrote again and caught up \(seconds(since: freed)) s after its space was freed")
        #expect(rejoined == true, "n\(leader.id) did not rejoin after space was freed\n\(cluster.logTails())")
        #expect(cluster.log(leader.id).contains("disk writes again"), "\(cluster.logTails())")
        let value = try? cluster.client(leader.id)?.call("GET", "k19")
        #expect(value == .bulkString(Array("during".utf8)), "n\(leader.id) reads \(String(describing: value))")
        #expect(cluster.set(on: leader.id, "after", "v") == true, "\(cluster.logTails())")
    }
}

/// Three `synod serve` processes on loopback, each with its data directory on a tmpfs
/// of its own, so that one server's disk can fill while the others' do not. `stop()`
/// kills the servers, unmounts and removes everything, whatever happened before.
final class TmpfsCluster: ClientPortCluster {
    struct Node {
        var id: Int
        var peerPort: Int
        var clientPort: Int
        var metricsPort: Int
        var pid: pid_t = 0
    }

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synod-tmpfs-\(UUID().uuidString)")
        .path
    private(set) var nodes: [Node] = []
    private var mounted: [String] = []

    var ids: [Int] { nodes.map(\.id) }

    func mountPoint(_ id: Int) -> String { "\(directory)/disk\(id)" }

    func fillerPath(of id: Int) -> String { mountPoint(id) + "/filler" }

    /// Mounts a tmpfs of `size` for each of `count` servers; the reason when one fails.
    func mountDisks(count: Int, size: String) -> String? {
        for id in 1...count {
            let point = mountPoint(id)
            do {
                try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
            } catch {
                return "cannot create \(point): \(error)"
            }
            guard Glibc.mount("tmpfs", point, "tmpfs", 0, "size=\(size)") == 0 else {
                return "mount -t tmpfs -o size=\(size) tmpfs \(point): \(String(cString: strerror(errno)))"
            }
            mounted.append(point)
            nodes.append(Node(id: id, peerPort: 0, clientPort: 0, metricsPort: 0))
        }
        return nil
    }

    func start(binary: URL) throws {
        for index in nodes.indices {
            nodes[index].peerPort = try freePort()
            nodes[index].clientPort = try freePort()
            nodes[index].metricsPort = try freePort()
        }
        let members = nodes.map { "\($0.id)=127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        for index in nodes.indices {
            let node = nodes[index]
            let arguments = [
                "serve", "--id", "\(node.id)", "--cluster", members, "--data", mountPoint(node.id) + "/data",
                "--client-port", "\(node.clientPort)", "--metrics-port", "\(node.metricsPort)", "--bootstrap",
            ]
            nodes[index].pid = try spawnServer(binary, arguments, log: logPath(node.id))
        }
        for node in nodes {
            let serving = poll(timeout: 20) {
                (try? client(node.id)?.call("PING")) == .simpleString("PONG") ? true : nil
            }
            guard serving == true else { throw RealClusterError("node \(node.id) does not serve\n\(logTails())") }
        }
    }

    /// Writes a file on `id`'s tmpfs until no space is left; returns its size.
    func fillDisk(of id: Int) throws -> Int {
        let descriptor = open(fillerPath(of: id), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw RealClusterError("cannot create the filler: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0xA5, count: 64 << 10)
        var total = 0
        // Bounded: a 4 MiB tmpfs takes at most 64 chunks; a few more for a larger one.
        for _ in 0..<4_096 {
            let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 { total += written }
            if written < chunk.count { break }
        }
        guard errno == ENOSPC || total > 0 else { throw RealClusterError("the filler did not fill the disk") }
        return total
    }

    func stop() {
        for node in nodes where node.pid > 0 {
            kill(node.pid, SIGKILL)
            waitpid(node.pid, nil, 0)
        }
        for point in mounted { umount2(point, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func clientPort(_ id: Int) -> Int { nodes[id - 1].clientPort }

    /// SET through `id`: true when acknowledged, false on an error reply, nil when no answer.
    func set(on id: Int, _ key: String, _ value: String, timeout: TimeInterval = 2) -> Bool? {
        guard let client = client(id, timeout: timeout), let reply = try? client.call("SET", key, value) else {
            return nil
        }
        return reply == .simpleString("OK")
    }

    func metric(_ id: Int, _ name: String) -> Double? {
        let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        guard let response = try? HTTPExchange.send(request, port: nodes[id - 1].metricsPort, timeout: 2) else {
            return nil
        }
        return PrometheusSamples(response.body)[name, ["node": "\(id)"]]
    }

    func logPath(_ id: Int) -> String { "\(directory)/n\(id).log" }

    func log(_ id: Int) -> String { (try? String(contentsOfFile: logPath(id), encoding: .utf8)) ?? "" }

    func logTails(lines: Int = 20) -> String {
        ids.map { id in
            "--- n\(id).log\n" + log(id).split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
