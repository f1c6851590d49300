import Checker
import KV
import SynodCore

/// How simulated clients read (the CLI's `--read-mode`).
public enum ReadMode: String, Sendable, CaseIterable {
    /// Through the log, like a write.
    case log
    /// ReadIndex on the leader: one heartbeat round confirms leadership.
    case readindex
    /// Lease read on the leader: no round while the lease holds.
    case lease
    /// The follower's own state: fast, possibly stale, not linearizable.
    case follower
    /// The follower asks the leader for a read index and serves once it has applied it.
    case followerReadindex = "follower-readindex"
}

/// The key-value workload: clients with sessions issuing random operations on a few
/// keys, every operation recorded for the linearizability checker.
public struct KVWorkload: Sendable, Equatable {
    public var clients: Int
    public var keys: Int
    public var readMode: ReadMode
    /// Share of operations that are reads.
    public var readShare: Double
    /// Each client waits this long (virtual) between finishing one operation and
    /// starting the next.
    public var thinkTime: TimeSpan
    /// A client retries a request unanswered this long at another server...
    public var attemptTimeout: TimeSpan
    /// ...and gives up on the operation (recording it as unknown) after this long.
    public var operationTimeout: TimeSpan
    /// How many of the clients (the last ones) write without a session, as `redis-cli`
    /// does: each write goes to one server once, and only the replicas' forward
    /// sessions keep a write they retry from applying twice.
    public var sessionlessClients = 2

    public init(
        clients: Int = 5, keys: Int = 3, readMode: ReadMode = .readindex, readShare: Double = 0.5,
        thinkTime: TimeSpan = .milliseconds(20), attemptTimeout: TimeSpan = .milliseconds(100),
        operationTimeout: TimeSpan = .seconds(1)
    ) {
        self.clients = clients
        self.keys = keys
        self.readMode = readMode
        self.readShare = readShare
        self.thinkTime = thinkTime
        self.attemptTimeout = attemptTimeout
        self.operationTimeout = operationTimeout
    }
}

/// One client operation as the history records it (times in virtual microseconds).
public struct ClientOperation: Sendable, Equatable {
    public enum Status: String, Sendable { case ok, fail, info }

    public var client: Int
    public var command: KVCommand
    public var call: Int64
    public var returned: Int64?
    public var status: Status
    /// What a get read, or a cas found; nil when absent or unknown.
    public var value: ByteString?
    /// Whether a cas succeeded.
    public var casSucceeded: Bool?
}

extension ClientOperation {
    /// The operation in the checker's history format.
    public var historyOperation: HistoryOperation {
        var operation = HistoryOperation(
            client: client, op: .get, key: command.key?.description ?? "", call: call, return: returned,
            status: HistoryOperation.Status(rawValue: status.rawValue)!)
        switch command {
        case .put(_, let value):
            operation.op = .put
            operation.value = value.description
        case .get:
            operation.op = .get
            operation.value = value?.description
        case .delete:
            operation.op = .delete
        case .cas(_, let from, let to):
            operation.op = .cas
            operation.from = from?.description
            operation.to = to?.description
            operation.ok = casSucceeded
        case .append(_, let suffix):
            operation.op = .append
            operation.value = suffix.description
        case .openSession:
            break
        case .increment, .putIf, .remove, .putAll, .getAndPut, .getAndDelete, .removeAll:
            // The checker's model has no such operation, and `randomOperation` never issues one.
            preconditionFailure("the simulated workload does not issue \(command)")
        }
        return operation
    }
}
