import SynodCore

/// The key-value store is the state machine `synod serve` replicates: requests and
/// replies travel in the store's own binary formats.
extension KVStore: StateMachine {
    public init() { self.init(sessionTimeout: KVStore.defaultSessionTimeout) }

    public static func encode(command: KVRequest) -> [UInt8] { command.encoded() }
    public static func decode(command: [UInt8]) throws -> KVRequest { try KVRequest(decoding: command) }
    public static func encode(reply: KVReply) -> [UInt8] { reply.encoded() }
    public static func decode(reply: [UInt8]) throws -> KVReply { try KVReply(decoding: reply) }
}
