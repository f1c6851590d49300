import SynodCore

/// The key-value store is the state machine `synod serve` replicates: requests and
/// replies travel in the store's own binary formats.
extension KVStore: StateMachine {
    public init() { self.init(sessionTimeout: KVStore.defaultSessionTimeout) }

    /// A request's time is the leader's stamp on the batch that carries it, not the clock
    /// of whichever server took it from the client: sessions expire by one clock.
    public mutating func apply(_ command: KVRequest, at index: LogIndex, stampedAt time: Int64) -> KVReply {
        var request = command
        request.time = Instant(nanoseconds: time)
        return apply(request, at: index)
    }

    public static func encode(command: KVRequest) -> [UInt8] { command.encoded() }
    public static func decode(command: [UInt8]) throws -> KVRequest { try KVRequest(decoding: command) }
    public static func encode(reply: KVReply) -> [UInt8] { reply.encoded() }
    public static func decode(reply: [UInt8]) throws -> KVReply { try KVReply(decoding: reply) }
}
