import Foundation
import Synchronization
import SynodServer
import Testing

extension RealClusterTests {
    /// INCRs sent to the followers are forwarded to the leader, which is SIGKILLed with
    /// forwards in flight; the followers retry them on the next leader under their forward
    /// sessions. The counter must end between the acknowledged INCRs and all INCRs sent
    /// whose outcome is unknown: more would mean a retried forward applied twice.
    @Test func forwardedIncrementsRetriedAcrossALeaderKillApplyOnce() throws {
        let name = "RealCluster forwarded INCR"
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let followers = cluster.ids.filter { $0 != leader.id }
        let counts = Mutex((acknowledged: 0, unknown: 0))
        let stopping = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
        for follower in followers + followers {
            let port = cluster.node(follower).clientPort
            Thread {
                defer { finished.signal() }
                var connection: RESPClient?
                for _ in 0..<100_000 where !stopping.load(ordering: .relaxed) {
                    guard let client = connection ?? (try? RESPClient(host: "127.0.0.1", port: port, timeout: 8))
                    else {
                        usleep(10_000)
                        continue
                    }
                    connection = client
                    let reply = try? client.call("INCR", "counter")
                    counts.withLock {
                        if case .integer? = reply { $0.acknowledged += 1 } else { $0.unknown += 1 }
                    }
                    if reply == nil { connection = nil }
                }
            }.start()
        }
        _ = poll(timeout: 5) { counts.withLock { $0.acknowledged } >= 100 ? true : nil }
        cluster.kill(leader.id)
        let killedAt = monotonicNow()
        let next = try #require(
            poll(timeout: 10) { cluster.leader(among: followers) }, "no follower took over\n\(cluster.logTails())")
        print("\(name): n\(next.id) leads \(seconds(since: killedAt)) s after n\(leader.id) died")
        usleep(1_500_000)  // forwards that were in flight to the dead leader time out (1 s) and are retried
        stopping.store(true, ordering: .relaxed)
        for _ in 0..<4 { #expect(finished.wait(timeout: .now() + 10) == .success, "a client did not stop") }

        let (acknowledged, unknown) = counts.withLock { ($0.acknowledged, $0.unknown) }
        let client = try #require(cluster.client(next.id, timeout: 2))
        let value = try #require(
            poll(timeout: 5) { () -> Int? in
                guard case .bulkString(let bytes?)? = try? client.call("GET", "counter") else { return nil }
                return Int(String(decoding: bytes, as: UTF8.self))
            }, "GET counter failed\n\(cluster.logTails())")
        print("\(name): counter \(value), \(acknowledged) acknowledged, \(unknown) unknown outcomes")
        #expect(value >= acknowledged, "an acknowledged INCR was lost\n\(cluster.logTails())")
        #expect(value <= acknowledged + unknown, "an INCR was applied twice\n\(cluster.logTails())")
    }
}
