import NIOCore
import Raft
import Replication
import SynodCore

/// What the peer network delivers to a node. The network knows nothing of the state
/// machine, so it holds its node through this.
protocol PeerInbox: AnyObject {
    var configuration: ServerConfiguration { get }
    var loop: any EventLoop { get }
    /// Where the network counts its links, drops and silent peers.
    var metrics: ServerMetrics { get }
    func receive(_ envelope: Envelope<RaftMessage>)
    func receive(_ envelope: Envelope<ForwardMessage>)
}

/// What the node needs from its peer network: send Raft messages and forwarded client
/// requests, batched until `flush`. Messages may be lost; Raft tolerates that.
protocol PeerTransport: AnyObject {
    func send(_ envelope: Envelope<RaftMessage>)
    func send(_ envelope: Envelope<ForwardMessage>)
    func flush()
}
