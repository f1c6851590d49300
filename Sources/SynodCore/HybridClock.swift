/// Hybrid Clock (hybrid logical clock, Kulkarni et al. 2014): timestamps that stay
/// close to physical time yet, like a Lamport Clock, always rise along causality. The
/// physical part is the highest wall-clock reading seen, locally or in any message; the
/// logical counter orders events that share it. It never goes back, even when the
/// physical clock does.
///
/// A remote timestamp more than `maxOffset` ahead of the local physical clock means
/// some clock broke the bound every server relies on; merging it would drag this clock
/// (and everyone it talks to) into the future, so it is refused, as CockroachDB does.
///
/// ```swift
/// var clock = HybridClock(maxOffset: .milliseconds(500))
/// let stamp = clock.now(physical: wall)                  // a local event or a send
/// let after = try clock.update(with: remote, physical: wall)   // a receive
/// ```
public struct HybridClock: Hashable, Sendable {
    /// The largest distance a remote timestamp may be ahead of the local physical clock.
    public let maxOffset: TimeSpan
    /// The highest timestamp issued or merged; zero before any.
    public private(set) var latest: HybridTimestamp = .zero

    public init(maxOffset: TimeSpan = .milliseconds(500)) {
        precondition(maxOffset >= .zero, "a maximum offset cannot be negative")
        self.maxOffset = maxOffset
    }

    /// A local event or a send: the physical reading if it moved past everything seen,
    /// else the latest timestamp with the counter raised.
    public mutating func now(physical: WallTime) -> HybridTimestamp {
        if physical > latest.wallTime {
            latest = HybridTimestamp(wallTime: physical)
        } else {
            latest = latest.next
        }
        return latest
    }

    /// A receive: merges a message's timestamp, so that the receive is after both it and
    /// every local event. Throws, and changes nothing, when `remote` is more than
    /// `maxOffset` ahead of `physical`.
    public mutating func update(
        with remote: HybridTimestamp, physical: WallTime
    ) throws(HybridClockError) -> HybridTimestamp {
        let ahead = remote.wallTime - physical
        if ahead > maxOffset { throw HybridClockError(remote: remote, physical: physical, maxOffset: maxOffset) }
        let wall = max(physical, latest.wallTime, remote.wallTime)
        if wall == latest.wallTime && wall == remote.wallTime {
            latest = HybridTimestamp(wallTime: wall, logical: max(latest.logical, remote.logical)).next
        } else if wall == latest.wallTime {
            latest = latest.next
        } else if wall == remote.wallTime {
            latest = remote.next
        } else {
            latest = HybridTimestamp(wallTime: wall)
        }
        return latest
    }
}

/// A remote timestamp was further ahead of the local physical clock than the maximum
/// offset allows: some server's clock is outside the bound.
public struct HybridClockError: Error, Hashable, Sendable, CustomStringConvertible {
    public var remote: HybridTimestamp
    public var physical: WallTime
    public var maxOffset: TimeSpan

    public init(remote: HybridTimestamp, physical: WallTime, maxOffset: TimeSpan) {
        self.remote = remote
        self.physical = physical
        self.maxOffset = maxOffset
    }

    public var description: String {
        "remote timestamp \(remote) is \(remote.wallTime - physical) ahead of the local clock (\(physical)), "
            + "beyond the maximum offset \(maxOffset)"
    }
}
