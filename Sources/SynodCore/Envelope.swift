/// A message on its way from one replica to another. Cores address messages; the
/// driver (simulator or network runtime) carries them.
public struct Envelope<Message: Sendable>: Sendable {
    public var from: NodeID
    public var to: NodeID
    public var message: Message

    public init(from: NodeID, to: NodeID, message: Message) {
        self.from = from
        self.to = to
        self.message = message
    }
}

extension Envelope: Equatable where Message: Equatable {}
