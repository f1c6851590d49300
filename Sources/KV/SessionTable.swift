import SynodCore

/// The live client sessions, kept in order of last activity (a doubly linked list
/// through the table) so that expiring them costs O(1) per expired session and the
/// table never holds a session past its timeout.
///
/// The store's time never goes back, so touching a session moves it to the newest end
/// and the expired sessions are always a prefix from the oldest end.
struct SessionTable: Sendable {
    private struct Node: Sendable {
        var session: ClientSession
        var older: UInt64?
        var newer: UInt64?
    }

    private var nodes: [UInt64: Node] = [:]
    private var oldest: UInt64?
    private var newest: UInt64?

    init() {}

    /// Rebuilds the table from sessions in any order; the activity order is restored by
    /// sorting on (last activity, id). Sessions with the same last activity expire
    /// together, so their relative order is never observable.
    init(restoring sessions: [(id: UInt64, session: ClientSession)]) {
        let ordered = sessions.sorted {
            ($0.session.lastActivity, $0.id) < ($1.session.lastActivity, $1.id)
        }
        for (id, session) in ordered { insertNewest(id, session) }
    }

    var count: Int { nodes.count }

    subscript(id: UInt64) -> ClientSession? { nodes[id]?.session }

    /// The sessions in id order: the deterministic order for snapshots.
    var sortedByID: [(id: UInt64, session: ClientSession)] {
        nodes.keys.sorted().map { ($0, nodes[$0]!.session) }
    }

    mutating func open(_ id: UInt64, at now: Instant) {
        precondition(nodes[id] == nil, "session \(id) is already open")
        insertNewest(id, ClientSession(lastActivity: now))
    }

    /// Marks activity on a session and, if given, records the reply to a newly applied
    /// sequence.
    mutating func touch(_ id: UInt64, at now: Instant, recording sequence: UInt64? = nil, reply: KVReply? = nil) {
        guard var session = remove(id) else { return }
        assert(session.lastActivity <= now, "the store's time never goes back")
        session.lastActivity = now
        if let sequence {
            session.lastSequence = sequence
            session.lastReply = reply
        }
        insertNewest(id, session)
    }

    /// Drops every session idle for longer than `timeout` at `now`.
    ///
    /// - Complexity: O(1 + number of sessions dropped).
    mutating func expire(at now: Instant, timeout: TimeSpan) {
        while let id = oldest, let node = nodes[id],
            ClientSession.isExpired(lastActivity: node.session.lastActivity, now: now, timeout: timeout)
        {
            remove(id)
        }
    }

    private mutating func insertNewest(_ id: UInt64, _ session: ClientSession) {
        nodes[id] = Node(session: session, older: newest, newer: nil)
        if let newest { nodes[newest]!.newer = id } else { oldest = id }
        newest = id
    }

    @discardableResult
    private mutating func remove(_ id: UInt64) -> ClientSession? {
        guard let node = nodes.removeValue(forKey: id) else { return nil }
        if let older = node.older { nodes[older]!.newer = node.newer } else { oldest = node.newer }
        if let newer = node.newer { nodes[newer]!.older = node.older } else { newest = node.older }
        return node.session
    }
}
