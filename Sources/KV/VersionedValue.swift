import SynodCore

/// Versioned Value: a value together with the log index of the write that produced
/// it. Replicas agree on the index, so a version names one write everywhere, and a
/// reader can tell which write it saw.
struct VersionedValue: Hashable, Sendable {
    var value: ByteString
    var version: LogIndex
}
