import SynodCore

/// The replicated memory of forwarded writes (Idempotent Receiver): per forwarding
/// server session, the replies not yet known to have reached it. A forward retried
/// after a leader change finds its reply here instead of being applied again. Part of
/// the replicated state, so every replica decides duplicates alike and snapshots carry it.
public struct ForwardSessions: Equatable, Sendable {
    /// A session unheard of for this long (in the leaders' stamped time) is forgotten;
    /// far longer than any forward is retried.
    public static let idleTimeout: Int64 = 600 * 1_000_000_000

    public struct Session: Equatable, Sendable {
        public var lastActivity: Int64
        /// Every request numbered up to this has been answered to the forwarder.
        public var acknowledged: UInt64 = 0
        public var replies: [UInt64: [UInt8]] = [:]
    }

    /// What to do with a forwarded command.
    public enum Verdict: Equatable {
        /// Not seen: apply it, then `record` the reply.
        case apply
        /// Applied before: here is the reply it got.
        case duplicate([UInt8])
        /// Applied and answered before: nobody waits for it any more.
        case answered
    }

    public private(set) var sessions: [UInt64: Session] = [:]
    private var lastExpiry: Int64 = .min

    /// Decides whether `origin`'s command is new, and forgets the replies its forwarder
    /// has acknowledged.
    public mutating func check(_ origin: ForwardOrigin, at time: Int64) -> Verdict {
        expire(at: time)
        // In place: a copy of the session would copy its replies on every command.
        return Self.check(origin, at: time, in: &sessions[origin.session, default: Session(lastActivity: time)])
    }

    private static func check(_ origin: ForwardOrigin, at time: Int64, in session: inout Session) -> Verdict {
        session.lastActivity = max(session.lastActivity, time)
        if origin.acknowledged > session.acknowledged {
            // Usually the mark moves by one or two: remove those, not rebuild the table.
            if origin.acknowledged - session.acknowledged <= UInt64(session.replies.count) {
                for sequence in (session.acknowledged + 1)...origin.acknowledged {
                    session.replies.removeValue(forKey: sequence)
                }
            } else {
                session.replies = session.replies.filter { $0.key > origin.acknowledged }
            }
            session.acknowledged = origin.acknowledged
        }
        if origin.sequence <= session.acknowledged { return .answered }
        if let reply = session.replies[origin.sequence] { return .duplicate(reply) }
        return .apply
    }

    public mutating func record(_ origin: ForwardOrigin, reply: [UInt8]) {
        sessions[origin.session]?.replies[origin.sequence] = reply
    }

    /// Drops idle sessions, at most once per stamped second (the scan is over all sessions).
    private mutating func expire(at time: Int64) {
        guard time >= lastExpiry &+ 1_000_000_000 else { return }
        lastExpiry = time
        sessions = sessions.filter { time - $0.value.lastActivity < Self.idleTimeout }
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.writeInteger(lastExpiry)
        writer.writeVarint(UInt64(sessions.count))
        for id in sessions.keys.sorted() {
            let session = sessions[id]!
            writer.writeVarint(id)
            writer.writeInteger(session.lastActivity)
            writer.writeVarint(session.acknowledged)
            writer.writeVarint(UInt64(session.replies.count))
            for sequence in session.replies.keys.sorted() {
                writer.writeVarint(sequence)
                writer.writeByteString(session.replies[sequence]!)
            }
        }
    }

    public init() {}

    public init(from reader: inout BinaryReader) throws(BinaryDecodingError) {
        lastExpiry = try reader.readInteger(Int64.self)
        let count = try reader.readCount()
        for _ in 0..<count {
            let id = try reader.readVarint()
            var session = Session(lastActivity: try reader.readInteger(Int64.self))
            session.acknowledged = try reader.readVarint()
            let replies = try reader.readCount()
            for _ in 0..<replies {
                let sequence = try reader.readVarint()
                session.replies[sequence] = try reader.readByteString()
            }
            sessions[id] = session
        }
    }
}
