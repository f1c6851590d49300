import ArgumentParser
import Foundation
import SynodServer

/// `synod kv put|get|del|cas`: Synod's own client. It finds a server that answers,
/// opens a session (Idempotent Receiver: client id + sequence number) and retries a
/// write on another server until it is applied exactly once, even across a leader change.
struct KVClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Read and write keys on a running cluster, with retries that apply a write once.",
        discussion: """
            synod kv put KEY VALUE · synod kv get KEY · synod kv del KEY · synod kv cas KEY FROM TO \
            (FROM/TO: an empty string means absent). Exit status: 0 done, 1 when a cas did not apply, \
            2 on bad arguments or when no server answered in time.
            """
    )

    @Argument(help: "put, get, del or cas.")
    var operation: String

    @Argument(help: "The key, then the value (put) or FROM and TO (cas).")
    var words: [String] = []

    @Option(help: "Comma-separated host:port client addresses of the cluster's servers.")
    var endpoints = "127.0.0.1:7201,127.0.0.1:7202,127.0.0.1:7203"

    @Option(help: "Seconds to keep retrying before giving up.")
    var timeout = 10.0

    func validate() throws {
        let arity = ["put": 2, "get": 1, "del": 1, "cas": 3]
        guard let needed = arity[operation] else { throw ValidationError("unknown operation '\(operation)'") }
        guard words.count == needed else {
            throw ValidationError("\(operation) takes \(needed) argument\(needed == 1 ? "" : "s")")
        }
        _ = try addresses()
    }

    private func addresses() throws -> [(host: String, port: Int)] {
        try endpoints.split(separator: ",").map { text in
            guard let address = parseHostPort(text) else {
                throw ValidationError("--endpoints: '\(text)' is not host:port")
            }
            return address
        }
    }

    func run() throws {
        var session = SessionClient(endpoints: try addresses(), deadline: Date().addingTimeInterval(timeout))
        do {
            switch operation {
            case "get":
                print(Self.show(try session.call(["GET", words[0]])))
            case "put":
                print(Self.show(try session.exec(["SET", words[0], words[1]])))
            case "del":
                print(Self.show(try session.exec(["DEL", words[0]])))
            default:
                let answer = try session.exec(["CAS", words[0], words[1], words[2]])
                guard case .array(let parts?) = answer, parts.count == 2 else { return print(Self.show(answer)) }
                let current = parts[1] == .bulkString(nil) ? "(nil)" : Self.show(parts[1])
                if parts[0] == .integer(1) {
                    print("OK \(current)")
                } else {
                    print("not applied; the value is \(current)")
                    throw ExitCode(1)
                }
            }
        } catch let error as SessionClientError {
            var standardError = StandardStream.error
            print("synod kv: \(error)", to: &standardError)
            throw ExitCode(2)
        }
    }

    static func show(_ value: RESPValue) -> String {
        switch value {
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        case .array(let parts?): parts.map(show).joined(separator: " ")
        default: value.description
        }
    }
}

struct SessionClientError: Error, CustomStringConvertible {
    var description: String
}

/// A client session: one connection at a time, moved to the next endpoint whenever a
/// server cannot be reached or answers TRYAGAIN; writes carry (session, sequence), so a
/// retried write is applied once.
struct SessionClient {
    let endpoints: [(host: String, port: Int)]
    let deadline: Date
    var current = 0
    var connection: RESPClient?
    var session: UInt64?
    var sequence: UInt64 = 0

    init(endpoints: [(host: String, port: Int)], deadline: Date) {
        self.endpoints = endpoints
        self.deadline = deadline
    }

    /// Sends `words` until some server answers anything but TRYAGAIN.
    mutating func call(_ words: [String]) throws -> RESPValue {
        var lastProblem = "no server answered"
        while Date() < deadline {
            do {
                if connection == nil {
                    let endpoint = endpoints[current % endpoints.count]
                    connection = try RESPClient(host: endpoint.host, port: endpoint.port, timeout: 3)
                }
                let answer = try connection!.call(words)
                if case .error(let message) = answer, message.hasPrefix("TRYAGAIN") {
                    lastProblem = message
                } else {
                    return answer
                }
            } catch {
                lastProblem = "\(error)"
            }
            connection = nil
            current += 1
            usleep(50_000)
        }
        throw SessionClientError(description: "gave up: \(lastProblem)")
    }

    /// Runs a write under the session (opened on first use) with the next sequence number.
    mutating func exec(_ words: [String]) throws -> RESPValue {
        if session == nil {
            guard case .integer(let id) = try call(["SYNOD.SESSION"]), id > 0 else {
                throw SessionClientError(description: "the server did not open a session")
            }
            session = UInt64(id)
        }
        sequence += 1
        return try call(["SYNOD.EXEC", "\(session!)", "\(sequence)"] + words)
    }
}
