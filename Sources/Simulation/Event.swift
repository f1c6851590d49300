import Replication
import SynodCore

/// What happens at an instant of a cluster's virtual time; `EventQueue` orders them.
/// Generic over the consensus protocol's message, the only part that differs.
enum Event<Message: Sendable> {
    typealias Scheduled = EventQueue<Kind>.Entry

    enum Kind: Sendable {
        case deliver(Envelope<Message>)
        /// A forwarded client write, or the leader's answer to one.
        indirect case deliverForward(Envelope<ForwardMessage>)
        case wake(slot: Int, incarnation: Int)
        case syncDone(slot: Int, incarnation: Int, through: PersistID)
        case clientTick
        case clientRequest(id: UInt64, target: NodeID, attempt: Int)
        case clientTimeout(id: UInt64, attempt: Int)
        case networkFault
        case crashFault
        case diskFault
        case transferFault
        case bitFlip
        case powerFailure
        case clockFault
        case clockEdge
        case compact(slot: Int, incarnation: Int)
        /// The replica's Request Batch waits for the burst of input at this instant to end.
        case flushBatch(slot: Int, incarnation: Int)
        case kvNext(client: Int)
        case kvAttempt(client: Int, operation: Int)
        case kvAttemptTimeout(client: Int, operation: Int, attempt: Int)
        case kvGiveUp(client: Int, operation: Int)
        case restart(slot: Int)
        /// A targeted partition between these two sides begins.
        indirect case split([NodeID], [NodeID])
        /// The end of a targeted partition: the links between these two sides come back.
        indirect case rejoin([NodeID], [NodeID])
        case heal
        case livenessProbe
        case livenessDeadline
    }
}
