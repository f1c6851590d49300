import SynodCore

/// What replicas say to each other besides consensus messages: a follower hands a
/// client's write to the leader (numbered in the follower's forward session), and the
/// leader answers it once applied, or says it could not.
public enum ForwardMessage: Sendable, Equatable {
    /// Apply this write; `id` is the forwarder's sequence number for it.
    case request(id: UInt64, item: BatchItem)
    /// The outcome of the forward numbered `id`.
    case reply(id: UInt64, outcome: WriteOutcome)
}
