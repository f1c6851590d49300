import SynodCore

/// What replicas say to each other besides consensus messages: a follower hands a
/// client's write to the leader (numbered in the follower's forward session), and the
/// leader answers it once applied, or says it could not.
public enum ForwardMessage: Sendable, Equatable {
    /// Apply this write; `id` is the forwarder's sequence number for it.
    case request(id: UInt64, item: BatchItem)
    /// The outcome of the forward numbered `id` in the forwarder's `session`. The
    /// session tells a reply to an earlier incarnation of the forwarder (whose numbers
    /// started at 1 as well) from one to the current.
    case reply(session: UInt64, id: UInt64, outcome: WriteOutcome)
}
