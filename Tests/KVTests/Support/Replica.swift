import KV
import SynodCore

/// A store fed one entry at a time, as a Raft driver would: it numbers the entries,
/// so a test reads as a list of client requests and their stamped times.
struct Replica {
    var store: KVStore
    var index: LogIndex = .zero

    init(sessionTimeout: TimeSpan = KVStore.defaultSessionTimeout) {
        store = KVStore(sessionTimeout: sessionTimeout)
    }

    @discardableResult
    mutating func apply(
        _ command: KVCommand, session: UInt64 = 0, sequence: UInt64 = 0, at seconds: Int64 = 0
    ) -> KVReply {
        index = index.advanced(by: 1)
        let request = KVRequest(session: session, sequence: sequence, command: command, time: .seconds(seconds))
        return store.apply(request, at: index)
    }

    /// Opens a session and returns its id.
    mutating func openSession(at seconds: Int64 = 0) -> UInt64 {
        guard case .sessionOpened(let id) = apply(.openSession, at: seconds) else { return 0 }
        return id
    }

    mutating func noop() {
        index = index.advanced(by: 1)
        store.applyNoop(at: index)
    }
}

extension Instant {
    static func seconds(_ seconds: Int64) -> Instant { .zero + .seconds(seconds) }
}
