import SynodCore

/// A story's disk failures: a full disk or a hung sync on one server, until repaired.
extension Simulation {
    /// The disk of `id` stops writing (`.full`: the server is told once a write of its
    /// fails; `.stalledSync`: nothing tells it) until `repairDisk(of:)`.
    public mutating func failDisk(of id: NodeID, _ kind: DiskFailureKind) {
        raft?.failDisk(id, kind)
        multiPaxos?.failDisk(id, kind)
    }

    /// The disk of `id` writes again (space freed, the sync returned).
    public mutating func repairDisk(of id: NodeID) {
        raft?.repairDisk(id)
        multiPaxos?.repairDisk(id)
    }

    /// Why the replica of `id` believes its disk cannot write; nil when it believes it
    /// can, or the server is down.
    public func diskTrouble(of id: NodeID) -> String? {
        raft?.diskTrouble(id) ?? multiPaxos?.diskTrouble(id)
    }
}
