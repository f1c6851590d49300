import KV

extension RESPValue {
    /// The answer a Redis client expects to a reply of the key-value store:
    ///
    /// - `.value` (GET, GETSET, GETDEL, SET ... GET): the value as a bulk string, or the null bulk string when absent;
    /// - `.done` (SET, MSET, FLUSHALL): `+OK`; `.applied` (SET NX/XX): `+OK`, or the null
    ///   bulk string when the condition failed, as Redis answers; for SETNX and MSETNX
    ///   (`applied: .oneOrZero`), `:1` or `:0`;
    /// - `.integer` (INCR, APPEND, DEL): the number; `.sessionOpened`: the session id;
    /// - `.cas` (CAS): a two-element array, `:1` or `:0` for success, then the key's value
    ///   after the operation (a bulk string, or null when absent);
    /// - `.failed`, `.sessionExpired`, `.outOfOrder`: an error (`ERR ...`,
    ///   `SESSIONEXPIRED ...`, `OUTOFORDER ...`).
    ///
    /// ```swift
    /// RESPValue(KVReply.applied(false))  // .nullBulkString
    /// ```
    public init(_ reply: KVReply, applied: ClientCommand.AppliedReply = .okOrNull) {
        switch reply {
        case .value(let value, _): self = .bulk(value)
        case .applied(let done) where applied == .oneOrZero: self = .integer(done ? 1 : 0)
        case .done, .applied(true): self = .ok
        case .applied(false): self = .nullBulkString
        case .integer(let number): self = .integer(number)
        case .sessionOpened(let id): self = .integer(Int64(clamping: id))
        case .cas(let succeeded, let current): self = .array([.integer(succeeded ? 1 : 0), .bulk(current)])
        case .failed(.notAnInteger): self = ClientCommandError.notAnInteger.reply
        case .failed(.overflow): self = ClientCommandError.overflow.reply
        case .sessionExpired: self = ClientCommandError.sessionExpired.reply
        case .outOfOrder: self = ClientCommandError.outOfOrder.reply
        }
    }
}

extension RESPValue {
    /// A key or value as a bulk string of its exact bytes; `nil` is the null bulk string.
    public static func bulk(_ value: ByteString?) -> RESPValue { .bulkString(value?.bytes) }
}
