import Foundation
import Logging
import Storage
import SynodCore
import SynodServer
import Testing

/// The server on its data directory: it starts from what the WAL holds, refuses a
/// corrupted WAL naming file and offset, and refuses an empty directory unless the
/// cluster is new.
@Suite(.serialized) struct ServerStorageTests {
    static let logger = Logger(label: "synod.test")

    func configuration(directory: String) throws -> ServerConfiguration {
        let base = try #require(RealCluster.freeBasePort(size: 1), "no free loopback ports")
        return ServerConfiguration(
            id: 1, peers: [1: "127.0.0.1:\(base + 1)"], dataDirectory: directory, clientPort: base + 101)
    }

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("synod-server-\(UUID().uuidString)").path
    }

    @Test func aServerRefusesToStartFromAWALWithAFlippedByteNamingFileAndOffset() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try configuration(directory: directory)
        let server = try await Server.start(configuration, bootstrap: true, logger: Self.logger)
        let port = try #require(server.clientPort)
        let written = poll(timeout: 10) { () -> Bool? in
            guard let client = try? RESPClient(host: "127.0.0.1", port: port) else { return nil }
            for i in 0..<40 {
                guard (try? client.call("SET", "k\(i)", String(repeating: "v", count: 100))) == .ok else { return nil }
            }
            return true
        }
        #expect(written == true, "the single-node server never accepted the writes")
        await server.shutdown()

        // Flip one byte in the middle of the segment: a record with valid records after it.
        let wal = directory + "/wal"
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: wal).filter { $0.hasSuffix(".wal") }.sorted().first)
        let path = wal + "/" + segment
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let middle = bytes.count / 2
        bytes[middle] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        do {
            let again = try await Server.start(configuration, bootstrap: false, logger: Self.logger)
            await again.shutdown()
            Issue.record("the server started from a corrupted WAL")
        } catch let error as StorageError {
            guard case .corrupt(let file, let offset, _) = error else {
                Issue.record("expected a corruption error, got \(error)")
                return
            }
            #expect(file.hasSuffix(segment), "the error names \(file), not the damaged segment \(segment)")
            #expect(offset > 0 && offset <= Int64(middle), "the offset \(offset) is not at or before byte \(middle)")
        }
    }

    @Test func anEmptyDataDirectoryNeedsBootstrapAndAnotherNodesDirectoryIsRefused() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = try configuration(directory: directory)
        await #expect(throws: ServerError.self) {
            _ = try await Server.start(configuration, bootstrap: false, logger: Self.logger)
        }
        let server = try await Server.start(configuration, bootstrap: true, logger: Self.logger)
        await server.shutdown()
        configuration.clusterID = "another"
        await #expect(throws: ServerError.self) {
            _ = try await Server.start(configuration, bootstrap: false, logger: Self.logger)
        }
    }

    @Test func aServerCompactsItsLogOffTheEventLoopAndRestartsFromTheSnapshot() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = try configuration(directory: directory)
        configuration.snapshotEvery = 10
        let server = try await Server.start(configuration, bootstrap: true, logger: Self.logger)
        let port = try #require(server.clientPort)
        let written = poll(timeout: 10) { () -> Bool? in
            guard let client = try? RESPClient(host: "127.0.0.1", port: port) else { return nil }
            for i in 0..<50 {
                guard (try? client.call("SET", "k\(i)", "v\(i)")) == .ok else { return nil }
            }
            return true
        }
        #expect(written == true, "the single-node server never accepted the writes")
        let snapshot = directory + "/wal/snapshot"
        let compacted = poll(timeout: 10) { FileManager.default.fileExists(atPath: snapshot) ? true : nil }
        #expect(compacted == true, "no snapshot was written after 50 writes with --snapshot-every 10")
        await server.shutdown()

        let again = try await Server.start(configuration, bootstrap: false, logger: Self.logger)
        let againPort = try #require(again.clientPort)
        let values = poll(timeout: 10) { () -> [RESPValue]? in
            guard let client = try? RESPClient(host: "127.0.0.1", port: againPort) else { return nil }
            return try? [client.call("GET", "k0"), client.call("GET", "k49")]
        }
        #expect(
            values == [.bulk("v0"), .bulk("v49")], "the restarted server lost writes: \(String(describing: values))")
        await again.shutdown()
    }
}
