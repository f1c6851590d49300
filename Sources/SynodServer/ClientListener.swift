import Foundation
import KV
import Logging
import NIOCore
import NIOPosix
import Raft
import Replication
import SynodCore

/// The client port: RESP (the Redis protocol), so `redis-cli`, `redis-benchmark` and
/// Redis client libraries work unchanged. Connections live on the node's event loop.
enum ClientListener {
    static func start(node: ReplicaNode<KVStore>, logger: Logger) async throws -> any Channel {
        let configuration = node.configuration
        let started = NIODeadline.now()
        // A request the port takes must fit every later stage, or one write could stop
        // the leader (a WAL record too large) or stall replication (a frame too large).
        try configuration.checkLimits()
        let bootstrap = ServerBootstrap(group: node.loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ClientHandler(node: node, logger: logger, started: started))
                }
            }
        let channel = try await BindError.naming("client", port: configuration.clientPort) {
            try await bootstrap.bind(host: configuration.clientHost, port: configuration.clientPort).get()
        }
        logger.info("client port (RESP) listening on \(configuration.clientHost):\(channel.localAddress?.port ?? 0)")
        return channel
    }
}

/// One client connection. Commands may be pipelined and finish out of order (a read can
/// be served before an earlier write commits), so answers wait in slots and leave in
/// the order the commands came.
final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let node: ReplicaNode<KVStore>
    let logger: Logger
    /// When the client port opened: INFO's uptime.
    let started: NIODeadline
    var parser: RESPParser
    /// Answers not yet written, oldest first; nil while a command is still running.
    var slots: [RESPValue?] = []
    var firstSlot = 0
    var closeAfter: Int?
    var context: ChannelHandlerContext?
    var output: [UInt8] = []

    init(node: ReplicaNode<KVStore>, logger: Logger, started: NIODeadline = .now()) {
        self.node = node
        self.logger = logger
        self.started = started
        let limits = node.configuration.limits
        self.parser = RESPParser(
            limits: RESPParser.Limits(
                maxArrayLength: 1 << 16, maxValueLength: limits.value, maxRequestLength: limits.command))
    }

    /// Bytes a connection may hold unparsed: one request up to the command limit and
    /// the reads that arrived with it. The parser skips an oversized request's bytes as
    /// they come, so only a stream that is not RESP gets this far.
    private var maxBuffered: Int { node.configuration.limits.command + (1 << 20) }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard closeAfter == nil else { return }
        parser.append(unwrapInboundIn(data).readableBytesView)
        if parser.bufferedByteCount > maxBuffered {
            return fail("\(parser.bufferedByteCount) bytes without a complete request")
        }
        do {
            while closeAfter == nil, let request = try nextRequest() {
                let command: ClientCommand?
                do {
                    command = try ClientCommand(request)
                } catch {
                    node.metrics.request(.invalid)
                    answer(error.reply, in: allocate(), kind: .invalid)
                    continue
                }
                if let command { execute(command) }
            }
        } catch {
            fail("\(error)")
        }
    }

    /// The next complete request, or nil; a request over a size limit was read to its
    /// end and is answered `-ERR request refused: ...` here, in its turn.
    private func nextRequest() throws(RESPError) -> RESPValue? {
        while true {
            do {
                return try parser.next()
            } catch let error where error.isRecoverable {
                logger.debug("refused a client request: \(error)")
                node.metrics.request(.invalid)
                answer(error.reply, in: allocate(), kind: .invalid)
            }
        }
    }

    /// Answers a protocol error after every earlier answer, then closes the connection:
    /// the byte stream can no longer be trusted.
    private func fail(_ reason: String) {
        logger.info("closing a client connection: \(reason)")
        let slot = allocate()
        closeAfter = slot
        let message = reason.hasPrefix("Protocol error") ? reason : "Protocol error: \(reason)"
        node.metrics.request(.protocolError)
        answer(.error("ERR \(message)"), in: slot, kind: .protocolError)
    }

    private func allocate() -> Int {
        slots.append(nil)
        return firstSlot + slots.count - 1
    }

    /// Counts an error answer to a request of `kind`, then answers it.
    private func answer(_ value: RESPValue, in slot: Int, kind: ClientRequestKind) {
        if case .error = value { node.metrics.error(kind) }
        answer(value, in: slot)
    }

    /// Fills `slot` and writes every answer that is now at the head of the line.
    private func answer(_ value: RESPValue, in slot: Int) {
        guard slot >= firstSlot, slot - firstSlot < slots.count else { return }
        slots[slot - firstSlot] = value
        drain()
    }

    private func drain() {
        guard let context else { return }
        var written = 0
        while written < slots.count, let value = slots[written] {
            RESPEncoder.encode(value, into: &output)
            written += 1
        }
        guard written > 0 else { return }
        slots.removeFirst(written)
        firstSlot += written
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output)), promise: nil)
        output.removeAll(keepingCapacity: true)
        if let last = closeAfter, firstSlot > last { context.close(promise: nil) }
    }

    private func execute(_ command: ClientCommand) {
        let slot = allocate()
        node.metrics.request(command.metricsKind)
        switch command {
        case .ping(let message):
            answer(message.map { .bulkString($0) } ?? .simpleString("PONG"), in: slot)
        case .quit:
            closeAfter = slot
            answer(.ok, in: slot)
        case .hello:
            answer(helloReply(), in: slot)
        case .clientSetName, .clientSetInfo, .select:
            answer(.ok, in: slot)
        case .command:
            answer(.array([]), in: slot)
        case .configGet(let patterns):
            answer(ConfigParameters.reply(to: patterns), in: slot)
        case .info(let sections):
            answer(.bulk(info(sections)), in: slot)
        case .leader:
            answer(node.raft.leaderID.map { .bulk("\($0.rawValue)") } ?? .nullBulkString, in: slot)
        case .status:
            answer(.bulk(status()), in: slot)
        case .get(let key):
            node.read(
                { $0.read(key).value },
                done: { [self] value in answer(value.map { .bulk($0) } ?? noReadPoint, in: slot, kind: .get) })
        case .mget(let keys):
            node.read(
                { store in keys.map { store.read($0).value } },
                done: { [self] values in
                    answer(values.map { .array($0.map { .bulk($0) }) } ?? noReadPoint, in: slot, kind: .mget)
                })
        case .exists(let keys):
            node.read(
                { store in keys.count { store.read($0).value != nil } },
                done: { [self] count in
                    answer(count.map { .integer(Int64($0)) } ?? noReadPoint, in: slot, kind: .exists)
                })
        case .strlen(let key):
            node.read(
                { $0.read(key).value?.count ?? 0 },
                done: { [self] length in answer(length.map { .integer(Int64($0)) } ?? noReadPoint, in: slot, kind: .get)
                })
        case .dbsize:
            node.read(
                { $0.keyCount },
                done: { [self] count in answer(count.map { .integer(Int64($0)) } ?? noReadPoint, in: slot, kind: .keys)
                })
        case .keys(let pattern):
            node.read(
                { $0.keys(matching: pattern) },
                done: { [self] keys in
                    answer(keys.map { .array($0.map { .bulk($0) }) } ?? noReadPoint, in: slot, kind: .keys)
                })
        case .scan(let cursor, let pattern, let count, let typeMatches):
            node.read(
                { $0.scan(from: cursor, count: count, matching: pattern) },
                done: { [self] step in
                    let value: RESPValue? = step.map { step in
                        .array([.bulk(String(step.cursor)), .array(typeMatches ? step.keys.map { .bulk($0) } : [])])
                    }
                    answer(value ?? noReadPoint, in: slot, kind: .keys)
                })
        case .write(let write, let applied):
            let request = KVRequest(command: write, time: MonotonicClock.wallNow())
            node.write(request.encoded()) { [self] outcome in
                answer(Self.value(outcome, applied: applied), in: slot, kind: .write)
            }
        case .exec(let session, let sequence, let write, let applied):
            let request = KVRequest(
                session: session, sequence: sequence, command: write, time: MonotonicClock.wallNow())
            node.write(request.encoded()) { [self] outcome in
                answer(Self.value(outcome, applied: applied), in: slot, kind: .exec)
            }
        }
    }

    private var noReadPoint: RESPValue {
        .error("TRYAGAIN no linearizable read point (no leader reachable in time)")
    }

    static func value(_ outcome: WriteOutcome, applied: ClientCommand.AppliedReply) -> RESPValue {
        switch outcome {
        case .reply(let bytes):
            (try? KVReply(decoding: bytes)).map { RESPValue($0, applied: applied) }
                ?? .error("ERR the reply does not decode")
        case .failed(let reason): .error("TRYAGAIN \(reason)")
        case .busy(let reason): .error("BUSY \(reason)")
        }
    }

    private func helloReply() -> RESPValue {
        let role: String = node.raft.role == .leader ? "master" : "replica"
        return .array([
            .bulk("server"), .bulk("synod"), .bulk("version"), .bulk("0.1.0"), .bulk("proto"), .integer(2),
            .bulk("id"), .integer(Int64(node.configuration.id.rawValue)), .bulk("mode"), .bulk("cluster"),
            .bulk("role"), .bulk(role), .bulk("modules"), .array([]),
        ])
    }

    /// `key=value` fields for scripts; new ones go at the end, so that none moves. `pid`
    /// and `cluster` let `synod cluster start` tell its own server from another one
    /// that holds the same port.
    private func status() -> String {
        let raft = node.raft
        return "id=\(node.configuration.id.rawValue) role=\(raft.role.rawValue) term=\(raft.term.rawValue) "
            + "leader=\(raft.leaderID.map { "\($0.rawValue)" } ?? "-") commit=\(raft.commitIndex.rawValue) "
            + "applied=\(node.state.appliedIndex.rawValue) last=\(raft.log.lastIndex.rawValue)"
            + (raft.catchUp != nil ? " catching-up" : "")
            + " pid=\(ProcessInfo.processInfo.processIdentifier) cluster=\(node.configuration.clusterID)"
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension ClientCommand {
    /// The `kind` label this command counts under in the client metrics.
    var metricsKind: ClientRequestKind {
        switch self {
        case .get, .strlen: .get
        case .mget: .mget
        case .exists: .exists
        case .dbsize, .keys, .scan: .keys
        case .write: .write
        case .exec: .exec
        case .ping, .quit, .hello, .clientSetName, .clientSetInfo, .command, .configGet, .select, .info, .leader,
            .status:
            .admin
        }
    }
}
