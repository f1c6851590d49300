import SynodCore

/// What every replica holds for an embedded state machine: the machine itself, the
/// forward sessions that make forwarded writes idempotent, and how far the log has been
/// applied. Pure: the same committed entries give the same state and replies everywhere.
public struct ReplicatedState<Machine: StateMachine>: Sendable {
    public var machine: Machine
    public var forwards = ForwardSessions()
    /// The last log entry applied.
    public var appliedIndex: LogIndex = .zero
    /// Commands applied so far. A batch puts several commands in one entry, so each
    /// command's position in this count, not the entry's index, is what `apply(_:at:)` gets.
    public var appliedCommands: UInt64 = 0

    public init(machine: Machine = Machine()) { self.machine = machine }

    /// How one command of an entry ended.
    public enum Result: Sendable {
        case reply([UInt8])
        /// A forward applied and answered earlier: nobody waits for it.
        case answered
        /// The bytes are no command of this machine: skipped on every replica alike.
        case undecodable(String)
    }

    /// Applies a committed entry; one result per command, in batch order (none for a no-op).
    public mutating func apply(_ entry: LogEntry) -> [Result] {
        appliedIndex = entry.index
        guard entry.kind == .command else { return [] }
        let batch: (items: [BatchItem], time: Int64)
        do {
            batch = try CommandBatch.decode(entry.data)
        } catch {
            return [.undecodable("entry \(entry.index) is no command batch: \(error)")]
        }
        return batch.items.map { item in
            if let origin = item.origin {
                switch forwards.check(origin, at: batch.time) {
                case .apply: break
                case .duplicate(let reply): return .reply(reply)
                case .answered: return .answered
                }
            }
            let result = execute(item.command, stampedAt: batch.time)
            if let origin = item.origin, case .reply(let reply) = result { forwards.record(origin, reply: reply) }
            return result
        }
    }

    private mutating func execute(_ bytes: [UInt8], stampedAt time: Int64) -> Result {
        let command: Machine.Command
        do {
            command = try Machine.decode(command: bytes)
        } catch {
            return .undecodable("a command that does not decode: \(error)")
        }
        appliedCommands += 1
        return .reply(Machine.encode(reply: machine.apply(command, at: LogIndex(appliedCommands), stampedAt: time)))
    }

    /// The format version written first; bumped when the layout changes.
    public static var snapshotFormatVersion: UInt8 { 1 }

    public func snapshot() -> [UInt8] {
        let image = machine.snapshot()
        var writer = BinaryWriter(reservingCapacity: 64 + image.count)
        writer.writeByte(Self.snapshotFormatVersion)
        writer.writeVarint(appliedIndex.rawValue)
        writer.writeVarint(appliedCommands)
        forwards.encode(into: &writer)
        writer.writeByteString(image)
        return writer.bytes
    }

    public init(snapshot bytes: [UInt8]) throws {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == Self.snapshotFormatVersion else { throw BinaryDecodingError.unknownVersion(version) }
        appliedIndex = LogIndex(try reader.readVarint())
        appliedCommands = try reader.readVarint()
        forwards = try ForwardSessions(from: &reader)
        machine = try Machine(snapshot: try reader.readByteString())
        try reader.expectEnd()
    }
}
