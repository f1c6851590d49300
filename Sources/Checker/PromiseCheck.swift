import Raft
import SynodCore

/// Persist before you promise: a granted vote and an append acknowledgement are
/// promises about the sender's disk, so when one leaves a server the disk must already
/// hold what it promises. Checked at the moment of sending, this catches a core or a
/// driver that breaks the rule even in runs where no crash lands in the gap.
public enum PromiseCheck {
    public static func check(
        _ envelope: Envelope<RaftMessage>, durableHardState: HardState, durableLogLength: Int
    ) -> CheckFailure? {
        switch envelope.message {
        case .requestVoteResponse(let response) where response.granted && !response.isPreVote:
            if durableHardState.term != response.term || durableHardState.votedFor != envelope.to {
                return CheckFailure(
                    invariant: "persist-before-promise",
                    detail:
                        "\(envelope.from) granted its vote to \(envelope.to) in term \(response.term) while its disk holds \(durableHardState)"
                )
            }
        case .appendEntriesResponse(let response) where response.success:
            if durableLogLength < Int(response.matchIndex.rawValue) {
                return CheckFailure(
                    invariant: "persist-before-promise",
                    detail:
                        "\(envelope.from) acknowledged entries through \(response.matchIndex) while its disk holds \(durableLogLength)"
                )
            }
        case .installSnapshotResponse(let response) where response.done:
            if durableLogLength < Int(response.lastIndex.rawValue) {
                return CheckFailure(
                    invariant: "persist-before-promise",
                    detail:
                        "\(envelope.from) acknowledged a snapshot through \(response.lastIndex) while its disk holds \(durableLogLength)"
                )
            }
        default:
            break
        }
        return nil
    }
}
