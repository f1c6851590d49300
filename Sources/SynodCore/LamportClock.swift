/// Lamport Clock: a counter that every server ticks on each local event and pushes past
/// every timestamp it receives (max + 1), so that an event that causally follows
/// another always carries a higher timestamp. It says nothing about events that are
/// not causally related, and nothing about real time.
///
/// ```swift
/// var clock = LamportClock()
/// let sent = clock.tick()                 // 1: a local event (a write, a send)
/// var other = LamportClock()
/// let received = other.receive(sent)      // 2: causally after `sent`
/// ```
public struct LamportClock: Hashable, Sendable {
    /// The highest timestamp this clock has issued or seen; 0 before any event.
    public private(set) var latest: UInt64

    public init(latest: UInt64 = 0) { self.latest = latest }

    /// A local event: the next timestamp.
    public mutating func tick() -> UInt64 {
        latest += 1
        return latest
    }

    /// A message stamped `remote` arrived: the receive is an event after both the sender's
    /// and every earlier local event.
    public mutating func receive(_ remote: UInt64) -> UInt64 {
        latest = max(latest, remote) + 1
        return latest
    }
}
