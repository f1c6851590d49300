import Paxos
import SynodCore

/// How a Multi-Paxos acceptor's writes land on the same simulated disk as Raft's log,
/// keeping its storage contract (and so its crash model): the promised ballot is the
/// hard state (round as the term, proposer as the vote), and every accepted value is one
/// record appended to a journal, numbered by its position. Recovery replays the journal:
/// the last record of a slot wins, as acceptors only ever accept higher ballots.
enum MultiPaxosJournal {
    static func hardState(for ballot: Ballot) -> HardState {
        HardState(term: Term(ballot.round), votedFor: ballot.node)
    }

    static func ballot(of hardState: HardState) -> Ballot {
        Ballot(round: hardState.term.rawValue, node: hardState.votedFor)
    }

    /// The record for `accepted` at journal position `position`: the ballot (packed) as
    /// the record's term; the slot and the value's own stamp before its bytes.
    static func record(_ accepted: AcceptedSlot, at position: LogIndex) -> LogEntry {
        var data: [UInt8] = []
        data.reserveCapacity(16 + accepted.entry.data.count)
        withUnsafeBytes(of: accepted.slot.rawValue.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: accepted.entry.term.rawValue.littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: accepted.entry.data)
        return LogEntry(term: accepted.ballot.generation, index: position, kind: accepted.entry.kind, data: data)
    }

    static func accepted(from record: LogEntry) -> AcceptedSlot {
        precondition(record.data.count >= 16, "a journal record holds a slot and a stamp")
        let slot = integer(record.data, at: 0)
        let stamp = integer(record.data, at: 8)
        let entry = LogEntry(
            term: Term(stamp), index: LogIndex(slot), kind: record.kind, data: Array(record.data[16...]))
        return AcceptedSlot(ballot: Ballot(generation: record.term), entry: entry)
    }

    static func integer(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    /// What a restarting acceptor finds on its disk.
    static func durableState(hardState: HardState, records: [LogEntry]) -> MultiPaxosDurableState {
        MultiPaxosDurableState(promised: ballot(of: hardState), accepted: records.map(accepted(from:)))
    }
}
