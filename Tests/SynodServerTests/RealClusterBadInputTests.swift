import Foundation
import SynodServer
import Testing

/// Hostile bytes on both ports of a real server: each bad client gets an error (and, for
/// bytes that are not RESP, a closed connection), and the node goes on serving the others.
extension RealClusterTests {
    @Test func badClientInputGetsAnErrorAndTheNodeKeepsServing() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let port = cluster.node(1).clientPort
        let bystander = try RESPClient(host: "127.0.0.1", port: port, timeout: 2)
        try #require(try bystander.call("SET", "before", "kept") == .ok)

        let notRESP: [(name: String, bytes: [UInt8])] = [
            ("a binary array header", [UInt8(ascii: "*"), 0x00, 0xFF, 0xFE, 0x0D, 0x0A]),
            ("an oversized bulk length", Array("*1\r\n$999999999999\r\n".utf8)),
            ("64 KiB of binary without a line end", [UInt8](repeating: 0xFF, count: 70_000)),
        ]
        for (name, bytes) in notRESP {
            let garbage = try RESPClient(host: "127.0.0.1", port: port, timeout: 2)
            try garbage.send(bytes)
            let reply = try garbage.receive()
            guard case .error(let message) = reply, message.hasPrefix("ERR Protocol error") else {
                Issue.record("\(name): expected -ERR Protocol error, got \(reply)")
                continue
            }
            #expect(throws: RESPClientError.closed, "\(name): the server should close the connection") {
                try garbage.receive()
            }
        }

        let confused = try RESPClient(host: "127.0.0.1", port: port, timeout: 2)
        let unknown = try confused.call("NOSUCHCOMMAND", "x")
        guard case .error(let message) = unknown else {
            Issue.record("an unknown command got \(unknown), not an error")
            return
        }
        #expect(message.hasPrefix("ERR unknown command"), "\(message)")
        #expect(try confused.call("GET", "before") == .bulk("kept"), "the connection stays usable after an error")

        #expect(try bystander.call("GET", "before") == .bulk("kept"))
        #expect(try bystander.call("SET", "after", "fine") == .ok)
        let fresh = try RESPClient(host: "127.0.0.1", port: cluster.node(2).clientPort, timeout: 2)
        #expect(try fresh.call("GET", "after") == .bulk("fine"))
    }

    @Test func garbageOnThePeerPortIsRefusedAndTheClusterKeepsCommitting() throws {
        let cluster = try RealCluster.launch()
        defer { cluster.stop() }
        let leader = try #require(poll(timeout: 5) { cluster.leader() }, "no leader\n\(cluster.logTails())")
        let follower = cluster.ids.first { $0 != leader.id }!
        var kindAndJunk: [UInt8] = [9, 0, 0, 0, 99]  // a frame of unknown kind 99
        kindAndJunk += [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0xFF, 0x13, 0x37]
        let attacks: [(name: String, bytes: [UInt8])] = [
            ("random bytes", (0..<256).map { _ in UInt8.random(in: 0...255) }),
            ("a 4 GiB length prefix", [0xFF, 0xFF, 0xFF, 0xFF, 0x03]),
            ("a frame of unknown kind", kindAndJunk),
        ]
        for id in [leader.id, follower] {
            for (name, bytes) in attacks {
                let intruder = try RESPClient(host: "127.0.0.1", port: cluster.node(id).peerPort, timeout: 2)
                try intruder.send(bytes)
                #expect(throws: RESPClientError.closed, "n\(id) peer port, \(name): should close the connection") {
                    _ = try intruder.receive()
                }
            }
            let client = try RESPClient(host: "127.0.0.1", port: cluster.node(id).clientPort, timeout: 2)
            #expect(try client.call("SET", "peer-\(id)", "ok") == .ok, "n\(id) cannot commit\n\(cluster.logTails())")
            #expect(try client.call("GET", "peer-\(id)") == .bulk("ok"))
        }
        #expect(cluster.ids.allSatisfy { !cluster.isGone($0) }, "a node died\n\(cluster.logTails())")
    }
}
