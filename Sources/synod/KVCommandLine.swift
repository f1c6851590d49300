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
            synod kv put KEY VALUE · synod kv get KEY · synod kv del KEY · synod kv cas KEY FROM TO. \
            In a cas, --from-absent stands for FROM (the key must not exist) and --to-absent for TO (the \
            key is deleted); an empty FROM or TO is the empty string, a value like any other. \
            Keys and values are bytes: get writes the value's exact bytes to standard output, then a \
            newline, whatever they are (pipe it to a file or `head -c -1` to drop the newline); KEY, \
            VALUE, FROM and TO are taken as the UTF-8 bytes of the words given (for binary input, use \
            `redis-cli -x SET KEY < FILE`). \
            Exit status: 0 done, 1 when get finds no key (nothing is printed) or a cas did not apply, \
            2 on bad arguments or when no server answered in time.
            """
    )

    @Argument(help: "put, get, del or cas.")
    var operation: String

    @Argument(help: "The key, then the value (put) or FROM and TO (cas).")
    var words: [String] = []

    @Flag(help: "cas: the key must be absent (FROM is then not given).")
    var fromAbsent = false

    @Flag(help: "cas: delete the key (TO is then not given).")
    var toAbsent = false

    @Option(help: "Comma-separated host:port client addresses of the cluster's servers (ports 1...65535).")
    var endpoints = "127.0.0.1:7201,127.0.0.1:7202,127.0.0.1:7203"

    @Option(
        parsing: .unconditional,
        help: "Seconds to keep retrying before giving up (above 0, at most 3600). (default: 10.0)",
        transform: Limit.seconds(atMost: 3_600))
    var timeout = 10.0

    func validate() throws {
        let arity = ["put": 2, "get": 1, "del": 1, "cas": 3 - (fromAbsent ? 1 : 0) - (toAbsent ? 1 : 0)]
        guard let needed = arity[operation] else { throw ValidationError("unknown operation '\(operation)'") }
        if operation != "cas", fromAbsent || toAbsent {
            throw ValidationError("--from-absent and --to-absent are for cas")
        }
        guard words.count == needed else {
            throw ValidationError("\(operation) takes \(needed) argument\(needed == 1 ? "" : "s")")
        }
        _ = try addresses()
    }

    private func addresses() throws -> [(host: String, port: Int)] {
        let addresses = try endpoints.split(separator: ",").map { try Limit.address($0, of: "--endpoints") }
        guard !addresses.isEmpty else { throw ValidationError("--endpoints: give at least one host:port") }
        return addresses
    }

    func run() throws {
        var session = SessionClient(endpoints: try addresses(), deadline: Date().addingTimeInterval(timeout))
        do {
            switch operation {
            case "get":
                let answer = try session.call(["GET", words[0]])
                guard answer != .bulkString(nil) else {
                    var standardError = StandardStream.error
                    print("synod kv: \(words[0]) is absent", to: &standardError)
                    throw ExitCode(1)
                }
                guard case .bulkString(let value?) = answer else { return print(Self.show(answer)) }
                StandardStream.output.write(bytes: value + [UInt8(ascii: "\n")])
            case "put":
                print(Self.show(try session.exec(["SET", words[0], words[1]])))
            case "del":
                print(Self.show(try session.exec(["DEL", words[0]])))
            default:
                var rest = words.dropFirst()
                let from = fromAbsent ? nil : rest.popFirst()
                let to = toAbsent ? nil : rest.popFirst()
                let answer = try session.exec(["CAS", words[0], from, to])
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

    /// Sends `words` (nil: the null bulk string) until some server answers anything but
    /// TRYAGAIN.
    mutating func call(_ words: [String?]) throws -> RESPValue {
        var request: [UInt8] = []
        RESPEncoder.encode(.array(words.map { $0.map(RESPValue.bulk) ?? .bulkString(nil) }), into: &request)
        var lastProblem = "no server answered"
        while Date() < deadline {
            do {
                if connection == nil {
                    let endpoint = endpoints[current % endpoints.count]
                    connection = try RESPClient(host: endpoint.host, port: endpoint.port, timeout: 3)
                }
                try connection!.send(request)
                let answer = try connection!.receive()
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
    mutating func exec(_ words: [String?]) throws -> RESPValue {
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
