import Foundation
import SynodCore
import SynodServer
import Testing

// BEGIN embedding example
/// The state machine: a counter. Commands are amounts to add; each reply is the new total.
struct Counter: StateMachine, Codable {
    var total = 0

    mutating func apply(_ amount: Int, at index: LogIndex) -> Int {
        total += amount
        return total
    }
}

/// Three replicas of the counter, here in one process for the example (in production,
/// one per machine, each started with its own id). Proposals may go to any replica:
/// followers forward them to the leader.
func runCounterCluster(peerPorts: [Int], directory: String) async throws -> Int {
    var peers: [NodeID: String] = [:]
    for (offset, port) in peerPorts.enumerated() { peers[NodeID(offset + 1)] = "127.0.0.1:\(port)" }
    var replicas: [Replica<Counter>] = []
    for id in peers.keys.sorted() {
        let configuration = ServerConfiguration(id: id, peers: peers, dataDirectory: "\(directory)/\(id.rawValue)")
        replicas.append(try await Replica<Counter>.start(configuration, bootstrap: true))
    }
    for amount in 1...10 {
        _ = try await replicas[amount % replicas.count].propose(amount)
    }
    let total = try await replicas[0].read { $0.total }
    for replica in replicas { await replica.shutdown() }
    return total
}
// END embedding example

/// docs/embedding.md shows the code between the markers above, byte for byte; this
/// suite checks that and runs it.
@Suite struct EmbeddingExampleTests {
    static let source = URL(fileURLWithPath: #filePath)
    static let guide = source.deletingLastPathComponent().appendingPathComponent("../../docs/embedding.md")

    @Test func theGuideShowsThisFilesExample() throws {
        let code = try String(contentsOf: Self.source, encoding: .utf8)
        let begin = try #require(code.range(of: "// BEGIN embedding example\n"))
        let end = try #require(code.range(of: "// END embedding example"))
        let example = String(code[begin.upperBound..<end.lowerBound])
        let guide = try String(contentsOf: Self.guide, encoding: .utf8)
        #expect(guide.contains("```swift\nimport SynodCore\nimport SynodServer\n\n" + example + "```"))
    }

    @Test func theExampleReplicatesACounter() async throws {
        let base = try #require(RealCluster.freeBasePort(size: 3))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synod-embed-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let total = try await runCounterCluster(peerPorts: [base + 1, base + 2, base + 3], directory: directory)
        #expect(total == 55)
    }
}
