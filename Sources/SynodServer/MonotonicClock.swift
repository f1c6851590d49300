import Foundation
import NIOCore
import SynodCore

/// The server's time source for the Raft core: monotonic (never steps back, whatever
/// the wall clock does), in the core's `Instant` units.
struct MonotonicClock: Sendable {
    private var last = Instant.zero

    /// The current instant, never earlier than the previous one.
    mutating func now() -> Instant {
        let reading = Instant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds))
        if reading > last { last = reading }
        return last
    }

    /// The wall clock, for stamping client requests (session expiry): not for ordering.
    static func wallNow() -> Instant {
        Instant(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9))
    }
}
