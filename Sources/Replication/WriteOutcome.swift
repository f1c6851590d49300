import SynodCore

/// How a client's write ended: the machine's reply (encoded), or why there is none.
public enum WriteOutcome: Sendable, Equatable {
    case reply([UInt8])
    /// Not done, and perhaps done later (the write may still commit): retry under a session.
    case failed(String)
    /// Refused before anything happened: the leader is overloaded.
    case busy(String)
}

extension WriteOutcome {
    /// The wire form of a forward's answer: a tag, then the reply or the reason.
    public func encoded() -> [UInt8] {
        switch self {
        case .reply(let reply): return [1] + reply
        case .failed(let reason): return Self.encode(tag: 0, reason)
        case .busy(let reason): return Self.encode(tag: 2, reason)
        }
    }

    /// Decodes `encoded()`; bytes that do not decode read as a failure to retry.
    public init(decoding bytes: [UInt8]) {
        var reader = BinaryReader(bytes)
        do {
            switch try reader.readByte() {
            case 1: self = .reply(Array(bytes.dropFirst()))
            case 2: self = .busy(try reader.readString())
            default: self = .failed(try reader.readString())
            }
        } catch {
            self = .failed("the leader's answer does not decode: \(error)")
        }
    }

    private static func encode(tag: UInt8, _ reason: String) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 8 + reason.utf8.count)
        writer.writeByte(tag)
        writer.writeString(reason)
        return writer.bytes
    }
}
