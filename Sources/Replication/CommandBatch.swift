import SynodCore

/// Request Batch: the commands of several clients in one log entry. While the leader's
/// own sync is in flight, new writes wait and then travel together: one entry, one WAL
/// record and one replication slot for many commands.
public struct CommandBatch: Equatable, Sendable {
    /// The format version written first; bumped when the layout changes.
    public static let formatVersion: UInt8 = 1
    /// At most this many commands share one entry, so that one entry stays small.
    public static let maxCommands = 256
    /// The bytes `encoded(stampedAt:)` writes before the items: version, stamp, count.
    public static func headerSize(count: Int) -> Int { 1 + 8 + varintSize(UInt64(count)) }
    /// The most bytes a batch adds around one command: its header and the item's origin
    /// and length (the byte cap on batches leaves this much room for one command).
    public static let maxOverhead = headerSize(count: maxCommands) + BatchItem.maxOverhead

    /// The size of `encoded(stampedAt:)`, without encoding.
    public static func encodedSize(of items: some Collection<BatchItem>) -> Int {
        items.reduce(headerSize(count: items.count)) { $0 + $1.encodedSize }
    }

    /// The size of the batch of `items` followed by `item`, without building it.
    public static func encodedSize(of items: some Collection<BatchItem>, adding item: BatchItem) -> Int {
        encodedSize(of: items) - headerSize(count: items.count) + headerSize(count: items.count + 1) + item.encodedSize
    }

    /// How many bytes a LEB128 varint of `value` takes.
    static func varintSize(_ value: UInt64) -> Int { max(1, (64 - value.leadingZeroBitCount + 6) / 7) }

    public var items: [BatchItem]

    public init(items: [BatchItem]) { self.items = items }

    /// Version, leader's stamp (for expiring forward sessions), count, then each item.
    public func encoded(stampedAt time: Int64) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 16 + items.reduce(0) { $0 + 8 + $1.command.count })
        writer.writeByte(Self.formatVersion)
        writer.writeInteger(time)
        writer.writeVarint(UInt64(items.count))
        for item in items { item.encode(into: &writer) }
        return writer.bytes
    }

    /// Decodes `encoded(stampedAt:)`; throws on anything else.
    public static func decode(_ bytes: [UInt8]) throws(BinaryDecodingError) -> (items: [BatchItem], time: Int64) {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == formatVersion else { throw .unknownVersion(version) }
        let time = try reader.readInteger(Int64.self)
        let count = try reader.readVarint()
        guard count <= UInt64(maxCommands) else { throw .invalidValue("a batch of \(count) commands", offset: 9) }
        var items: [BatchItem] = []
        items.reserveCapacity(Int(count))
        for _ in 0..<count { items.append(try BatchItem(from: &reader)) }
        try reader.expectEnd()
        return (items, time)
    }
}

/// One command of a batch, and where it came from when another server forwarded it.
public struct BatchItem: Equatable, Sendable {
    public var origin: ForwardOrigin?
    public var command: [UInt8]

    public func encode(into writer: inout BinaryWriter) {
        writer.writeOptional(origin) { writer, origin in
            writer.writeVarint(origin.session)
            writer.writeVarint(origin.sequence)
            writer.writeVarint(origin.acknowledged)
        }
        writer.writeByteString(command)
    }

    /// The most bytes an item adds to its command: presence byte, three varints, length.
    public static let maxOverhead = 1 + 3 * 10 + 10

    /// The size of `encode(into:)`, without encoding.
    public var encodedSize: Int {
        var size = 1 + CommandBatch.varintSize(UInt64(command.count)) + command.count
        if let origin {
            size += CommandBatch.varintSize(origin.session) + CommandBatch.varintSize(origin.sequence)
            size += CommandBatch.varintSize(origin.acknowledged)
        }
        return size
    }

    public init(origin: ForwardOrigin?, command: [UInt8]) {
        self.origin = origin
        self.command = command
    }

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        origin = try reader.readOptional { reader throws(BinaryDecodingError) in
            ForwardOrigin(
                session: try reader.readVarint(), sequence: try reader.readVarint(),
                acknowledged: try reader.readVarint())
        }
        command = try reader.readByteString()
    }

    /// The bytes of a forward frame's request: one item alone.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 16 + command.count)
        encode(into: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }
}

/// Idempotent Receiver for forwarded writes: the forwarding server's session (chosen at
/// its start) and its request number, so a forward retried across a leader change is
/// applied once; `acknowledged` is the highest number below which the forwarder has
/// every answer, so the leader can forget those replies.
public struct ForwardOrigin: Hashable, Sendable {
    public var session: UInt64
    public var sequence: UInt64
    public var acknowledged: UInt64

    public init(session: UInt64, sequence: UInt64, acknowledged: UInt64) {
        self.session = session
        self.sequence = sequence
        self.acknowledged = acknowledged
    }
}
