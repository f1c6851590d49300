import Logging
import Raft
import Replication
import Storage
import SynodCore

extension ReplicaNode {
    /// Opens the WAL and rebuilds the replica from it alone: the Raft core from the hard
    /// state, snapshot and log, the machine from the snapshot. A damaged tail means a
    /// rejoin without a vote until caught up; a snapshot the machine cannot decode
    /// refuses the start, naming the file.
    static func recover(
        _ configuration: ServerConfiguration, now: Instant, logger: Logger
    ) throws(StorageError) -> (FileStorage, Core) {
        let (storage, recovered) = try FileStorage.open(directory: configuration.dataDirectory + "/wal")
        for note in recovered.notes { logger.warning("storage recovery: \(note)") }
        let catchUp = recovered.damage.map { CatchUp(possibleEnd: $0.possibleEnd, term: recovered.hardState.term) }
        if let damage = recovered.damage {
            logger.error(
                "storage recovery cut away damage that may have held acknowledged entries: \(damage); voting only for logs that hold what it may have lost, until caught up"
            )
        }
        let log = RaftLog(
            baseIndex: recovered.baseIndex, baseTerm: recovered.snapshot?.lastTerm ?? .zero, entries: recovered.entries)
        var seed = SeededGenerator(seed: UInt64.random(in: 1...UInt64.max))
        let raft = RaftNode(
            id: configuration.id, members: configuration.members, configuration: configuration.raft,
            hardState: recovered.hardState, snapshot: recovered.snapshot, log: log, catchUp: catchUp,
            now: now, random: SeededGenerator(seed: seed.next()))
        // A stall a few election timeouts long, however short they are, before the disk
        // counts as hung: a slow but working disk must not cost the cluster its leader.
        var options = configuration.replica
        options.diskStallLimit = max(options.diskStallLimit, configuration.raft.electionTimeoutMax * 4)
        let core: Core
        do {
            core = try Core(
                consensus: raft, snapshot: recovered.snapshot, options: options, now: now,
                random: SeededGenerator(seed: seed.next()),
                stampOffset: MonotonicClock.wallNow().nanoseconds - now.nanoseconds)
        } catch {
            throw .corrupt(
                file: configuration.dataDirectory + "/wal/snapshot", offset: 0, reason: "state machine: \(error)")
        }
        logger.info(
            "recovered \(recovered.hardState), snapshot through \(recovered.baseIndex), log through \(recovered.lastIndex)"
        )
        return (storage, core)
    }
}
