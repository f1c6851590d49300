import NIOCore
import Raft
import SynodCore

#if canImport(Glibc)
    import Glibc
#endif

/// Failure detection for one peer connection. A peer that owes this server an answer
/// (a hello, or the reply to a Raft request) and sends nothing at all for `limit` ticks
/// is taken for gone, whatever TCP says: a link cut without a reset keeps a socket that
/// looks open for as long as the kernel retransmits (tens of seconds). Time is counted
/// in ticks of this server's own timer, so a stall of its event loop costs one tick,
/// not a false verdict. A link that owes nothing (between two followers) is never
/// judged: silence there is normal.
struct SilenceDetector: Sendable {
    /// Ticks an answer may be overdue before the peer is taken for gone.
    let limit: Int
    private var ticks = 0
    /// The tick at which the oldest unanswered request was sent, if one is.
    private var waitingSince: Int?

    init(limit: Int) { self.limit = limit }

    /// Whether an answer is owed right now.
    var isWaiting: Bool { waitingSince != nil }

    /// A request went out: from now on the peer owes an answer.
    mutating func expectAnswer() {
        if waitingSince == nil { waitingSince = ticks }
    }

    /// Bytes arrived: the peer is alive, and nothing is owed any more.
    mutating func heard() { waitingSince = nil }

    /// One tick of the timer; true once an answer has been owed for `limit` ticks.
    mutating func tick() -> Bool {
        ticks += 1
        guard let since = waitingSince else { return false }
        return ticks - since >= limit
    }
}

/// How long to wait before dialing a peer again: short after a connection that worked,
/// doubling while attempts fail, never longer than `limit`, so that a healed link is
/// back within a fraction of a second while a peer that is down is not hammered.
struct RedialBackoff: Sendable {
    let first: TimeAmount
    let limit: TimeAmount
    private var next: TimeAmount

    init(first: TimeAmount, limit: TimeAmount) {
        self.first = first
        self.limit = max(first, limit)
        self.next = first
    }

    /// The wait before the next attempt; the one after it is twice as long (to the limit).
    mutating func delay() -> TimeAmount {
        defer { next = min(next * 2, limit) }
        return next
    }

    /// A connection got through: the next loss is retried quickly again.
    mutating func reset() { next = first }
}

extension PeerFrame {
    /// Whether a live peer answers this frame promptly: Raft's requests (a vote, an
    /// append or heartbeat, a snapshot chunk, a read's confirmation). Answers, forwards
    /// (answered only once committed) and TimeoutNow owe nothing.
    var expectsAnswer: Bool {
        guard case .raft(let envelope) = self else { return false }
        switch envelope.message {
        case .requestVote, .appendEntries, .installSnapshot, .readIndexRequest: return true
        case .requestVoteResponse, .appendEntriesResponse, .timeoutNow, .readIndexResponse, .installSnapshotResponse:
            return false
        }
    }
}

/// Socket options of every peer connection.
enum PeerSocketOptions {
    /// TCP keepalive after 1 s idle, then every second, 3 probes: a link that carries
    /// nothing (between two followers) is still found dead in a few seconds. On Linux,
    /// `TCP_USER_TIMEOUT` also drops a connection whose sent data stays unacknowledged
    /// for `userTimeout`, rather than retransmitting for many minutes.
    static func all(userTimeout: TimeAmount) -> [(ChannelOptions.Types.SocketOption, SocketOptionValue)] {
        var options: [(ChannelOptions.Types.SocketOption, SocketOptionValue)] = [
            (.init(level: .tcp, name: .tcp_nodelay), 1),
            (.init(level: .socket, name: .so_keepalive), 1),
        ]
        #if os(Linux)
            let milliseconds = SocketOptionValue(clamping: max(1, userTimeout.nanoseconds / 1_000_000))
            options += [
                (.init(level: .tcp, name: .init(rawValue: TCP_KEEPIDLE)), 1),
                (.init(level: .tcp, name: .init(rawValue: TCP_KEEPINTVL)), 1),
                (.init(level: .tcp, name: .init(rawValue: TCP_KEEPCNT)), 3),
                (.init(level: .tcp, name: .init(rawValue: TCP_USER_TIMEOUT)), milliseconds),
            ]
        #endif
        return options
    }
}
