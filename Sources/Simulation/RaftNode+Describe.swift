import Raft
import SynodCore

extension RaftNode {
    /// One message in a trace line: short, stable, no wall-clock figures.
    static func describe(_ message: RaftMessage) -> String {
        switch message {
        case .requestVote(let m):
            "\(m.isPreVote ? "PreVote" : "RequestVote")\(m.isTransfer ? "(transfer)" : "") term=\(m.term) last=\(m.lastLogIndex)@\(m.lastLogTerm)"
        case .requestVoteResponse(let m):
            "\(m.isPreVote ? "PreVote" : "Vote") term=\(m.term) \(m.granted ? "granted" : "refused")"
        case .timeoutNow(let m):
            "TimeoutNow term=\(m.term)"
        case .readIndexRequest(let m):
            "ReadIndex? term=\(m.term) id=\(m.id)"
        case .readIndexResponse(let m):
            "ReadIndex term=\(m.term) id=\(m.id) index=\(m.index.map { "\($0)" } ?? "-")"
        case .appendEntries(let m):
            "AppendEntries term=\(m.term) prev=\(m.prevLogIndex)@\(m.prevLogTerm) entries=\(m.entries.count) commit=\(m.leaderCommit) round=\(m.round)"
        case .installSnapshot(let m):
            "InstallSnapshot term=\(m.term) last=\(m.lastIndex)@\(m.lastTerm) offset=\(m.offset) bytes=\(m.data.count)\(m.done ? " done" : "")"
        case .installSnapshotResponse(let m):
            "SnapshotAck term=\(m.term) last=\(m.lastIndex) received=\(m.received)\(m.done ? " done" : "")"
        case .appendEntriesResponse(let m):
            m.success
                ? "AppendOK term=\(m.term) match=\(m.matchIndex)"
                : "AppendReject term=\(m.term) at=\(m.rejectedIndex) hint=\(m.conflictIndex)@\(m.conflictTerm.map { "\($0)" } ?? "-")"
        }
    }
}
