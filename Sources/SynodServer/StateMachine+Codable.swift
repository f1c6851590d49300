import Foundation
import SynodCore

// JSON encodings for state machines whose commands, replies or state are `Codable`, so
// that an embedded machine needs no byte handling of its own. A machine on a hot path
// (the key-value store) writes binary encodings instead.

extension StateMachine where Command: Codable {
    public static func encode(command: Command) -> [UInt8] { encodeJSON(command, what: "command") }
    public static func decode(command: [UInt8]) throws -> Command {
        try JSONDecoder().decode(Command.self, from: Data(command))
    }
}

extension StateMachine where Reply: Codable {
    public static func encode(reply: Reply) -> [UInt8] { encodeJSON(reply, what: "reply") }
    public static func decode(reply: [UInt8]) throws -> Reply {
        try JSONDecoder().decode(Reply.self, from: Data(reply))
    }
}

extension StateMachine where Self: Codable {
    public func snapshot() -> [UInt8] { encodeJSON(self, what: "state") }
    public init(snapshot: [UInt8]) throws { self = try JSONDecoder().decode(Self.self, from: Data(snapshot)) }
}

/// A value that cannot be encoded cannot be replicated: stopping is the only safe answer.
private func encodeJSON(_ value: some Encodable, what: String) -> [UInt8] {
    do {
        return Array(try JSONEncoder().encode(value))
    } catch {
        fatalError("the state machine's \(what) cannot be encoded as JSON: \(error)")
    }
}
