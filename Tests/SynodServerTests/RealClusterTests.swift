import Checker
import Foundation
import SynodServer
import Testing

/// Fault stories on real `synod serve` processes: a cluster launched with `synod cluster
/// start` on loopback, clients on real sockets, SIGKILL as the fault. Each story records
/// what its clients saw and hands it to the linearizability checker, then reads every key
/// back from every node. Serialized: the stories share the machine's two cores.
@Suite(.serialized) struct RealClusterTests {
    enum Victim { case leader, follower }

    @Test func leaderKilledMidTrafficAnotherIsElectedAndNoAcknowledgedWriteIsLost() throws {
        try killOneNodeAndRestartIt(.leader)
    }

    @Test func followerKilledMidTrafficCatchesUpAfterRestart() throws {
        try killOneNodeAndRestartIt(.follower)
    }

    @Test func wholeClusterKilledMidTrafficKeepsEveryAcknowledgedWrite() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let workload = RecordedWorkload(ports: cluster.clientPorts, clients: 4, mix: .ownKey)
        print("RealCluster whole cluster killed: workload seed \(workload.seed), base port \(cluster.basePort)")
        workload.start()
        var clientsStopped = false
        defer { if !clientsStopped { _ = workload.stop() } }

        usleep(1_000_000)  // the writers run for a second
        for id in cluster.ids { cluster.kill(id) }
        let killedAt = monotonicNow()
        clientsStopped = true
        #expect(workload.stop(), "a client did not stop")
        let gone = poll(timeout: 10) { cluster.ids.allSatisfy(cluster.isGone) ? true : nil }
        try #require(gone == true, "a killed process is still there (a zombie?): synod cluster start would skip it")
        let restartedAt = monotonicNow()
        try cluster.restart()
        print(
            "RealCluster whole cluster killed: processes reaped \(Double(restartedAt - killedAt) / 1e9) s after "
                + "the kill; synod cluster start serving again in \(seconds(since: restartedAt)) s")

        let history = workload.operations
        let finals = try finalReads(cluster, keys: workload.keys)
        print("RealCluster whole cluster killed: \(HistoryFigures(history))")
        for key in workload.keys {
            let acknowledged = history.filter { $0.key == key && $0.status == .ok }
            let last = try #require(acknowledged.last, "no write to \(key) was acknowledged in a second")
            // One writer per key, one write at a time: the value is the last acknowledged
            // one, or one of the writes sent after it whose outcome is unknown.
            let allowed =
                [last.value]
                + history.filter { $0.key == key && $0.status == .info && $0.call > last.call }
                .map(\.value)
            for read in finals where read.key == key {
                #expect(
                    allowed.contains(read.value),
                    "\(read.summary): the last acknowledged write was \(last.summary)\n\(cluster.logTails())")
            }
        }
        expectLinearizable(history + finals, cluster, seed: workload.seed)
        let client = try #require(cluster.client(cluster.ids[0], timeout: 2))
        #expect(try client.call("SET", "after-restart", "yes") == .ok, "the restarted cluster takes no write")
    }

    /// Clients on every node; `victim` is SIGKILLed mid-traffic; the clients go on for a
    /// second; the victim is restarted and must catch up; then the history must be
    /// linearizable and every node must read back what it allows.
    private func killOneNodeAndRestartIt(_ victimRole: Victim) throws {
        let name = "RealCluster \(victimRole) killed"
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let workload = RecordedWorkload(ports: cluster.clientPorts, clients: 4, mix: .sharedKeys(4))
        print("\(name): workload seed \(workload.seed), base port \(cluster.basePort)")
        workload.start()
        var clientsStopped = false
        defer { if !clientsStopped { _ = workload.stop() } }

        _ = poll(timeout: 3) { workload.count >= 50 ? true : nil }  // the clients are under way
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let victim = victimRole == .leader ? leader.id : cluster.ids.first { $0 != leader.id }!
        cluster.kill(victim)
        let killedAt = monotonicNow()
        let survivors = cluster.ids.filter { $0 != victim }
        if victimRole == .leader {
            let next = try #require(
                poll(timeout: 10) { cluster.leader(among: survivors) },
                "no survivor became leader in 10 s\n\(cluster.logTails())")
            print("\(name): n\(next.id) leads (term \(next.term)) \(seconds(since: killedAt)) s after n\(victim) died")
        }
        usleep(1_000_000)  // the clients run a second against the two survivors
        let servedWhileDown = workload.operations.filter { $0.status == .ok && $0.call > killedAt }.count
        print("\(name): \(servedWhileDown) operations succeeded while n\(victim) was down")
        #expect(servedWhileDown > 0, "two of three nodes served nothing for a second\n\(cluster.logTails())")

        let gone = poll(timeout: 10) { cluster.isGone(victim) ? true : nil }
        try #require(gone == true, "n\(victim) is still there (a zombie?): synod cluster start would skip it")
        let restartStarted = monotonicNow()
        try cluster.restart()
        let restartedAt = monotonicNow()
        print("\(name): synod cluster start brought n\(victim) back in \(seconds(since: restartStarted)) s")
        let caughtUp = poll(timeout: 10) { () -> Bool? in
            guard let commit = cluster.leader()?.commit, let status = cluster.status(victim) else { return nil }
            return status.applied >= commit ? true : nil
        }
        try #require(caughtUp == true, "n\(victim) did not catch up in 10 s\n\(cluster.logTails())")
        print("\(name): n\(victim) caught up \(seconds(since: restartedAt)) s after its restart")
        clientsStopped = true
        #expect(workload.stop(), "a client did not stop")

        let history = workload.operations
        print("\(name): \(HistoryFigures(history))")
        let finals = try finalReads(cluster, keys: workload.keys)
        expectLinearizable(history + finals, cluster, seed: workload.seed)
        expectFinalValuesAllowed(history, finals, cluster)
    }
}

/// GETs every key on every node (GET is linearizable), each read retried for up to 5 s
/// while the node answers with an error; the reads as `ok` operations, clients 1000+id.
func finalReads(_ cluster: RealCluster, keys: [String]) throws -> [HistoryOperation] {
    var reads: [HistoryOperation] = []
    for id in cluster.ids {
        var connection: RESPClient?
        for key in keys {
            let read = poll(timeout: 5) { () -> HistoryOperation? in
                guard let client = connection ?? cluster.client(id, timeout: 2) else { return nil }
                connection = client
                let call = monotonicNow()
                guard case .bulkString(let bytes)? = try? client.call("GET", key) else {
                    connection = nil
                    return nil
                }
                let value = bytes.map { String(decoding: $0, as: UTF8.self) }
                return HistoryOperation(
                    client: 1_000 + id, op: .get, key: key, value: value, call: call, return: monotonicNow(),
                    status: .ok)
            }
            reads.append(try #require(read, "n\(id) did not answer GET \(key) in 5 s\n\(cluster.logTails())"))
        }
    }
    return reads
}

/// Records an issue naming the operations that cannot be ordered, the seed and the logs.
func expectLinearizable(_ history: [HistoryOperation], _ cluster: RealCluster, seed: UInt64) {
    let started = monotonicNow()
    let report = LinearizabilityChecker.check(history)
    print("RealCluster: checked \(report.operations) operations on \(report.keys) keys in \(seconds(since: started)) s")
    guard let violation = report.violation else { return }
    let operations = violation.operations.map { "  " + $0.summary }.joined(separator: "\n")
    Issue.record("\(violation)\n\(operations)\nworkload seed \(seed)\n\(cluster.logTails(lines: 40))")
}

/// Every node reads the same value of each key; some client wrote it; and no write
/// acknowledged as done was sent after that write returned (it would have overwritten it).
func expectFinalValuesAllowed(_ history: [HistoryOperation], _ finals: [HistoryOperation], _ cluster: RealCluster) {
    for key in Set(finals.map(\.key)).sorted() {
        let reads = finals.filter { $0.key == key }
        let values = Set(reads.map(\.value))
        #expect(values.count == 1, "the nodes disagree on \(key): \(reads.map(\.summary))")
        let writes = history.filter { $0.key == key && $0.op == .put }
        guard let value = reads.first?.value else {
            let acknowledged = writes.filter { $0.status == .ok }.count
            if acknowledged > 0 { Issue.record("\(key) is absent after \(acknowledged) acknowledged writes") }
            continue
        }
        guard let writer = writes.first(where: { $0.value == value }) else {
            Issue.record("\(key) reads \(value), which no client wrote\n\(cluster.logTails())")
            continue
        }
        if let overwriter = writes.first(where: { write in
            write.status == .ok && writer.return.map { $0 < write.call } ?? false
        }) {
            Issue.record("\(key) reads \(value) (\(writer.summary)), but \(overwriter.summary) came after it")
        }
    }
}
