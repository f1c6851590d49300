import KV
import SynodCore
import Testing

@testable import Replication

/// Request Batch entries and the forward sessions that make a retried forward apply once.
@Suite struct ReplicatedStateTests {
    func increment(_ sequence: UInt64, session: UInt64 = 9, acknowledged: UInt64 = 0) -> BatchItem {
        let request = KVRequest(command: .increment(key: "n", by: 1), time: .zero)
        return BatchItem(
            origin: ForwardOrigin(session: session, sequence: sequence, acknowledged: acknowledged),
            command: request.encoded())
    }

    func entry(_ index: UInt64, _ items: [BatchItem], time: Int64 = 1_000_000_000) -> LogEntry {
        LogEntry(term: 1, index: LogIndex(index), data: CommandBatch(items: items).encoded(stampedAt: time))
    }

    func replies(_ results: [ReplicatedState<KVStore>.Result]) -> [KVReply?] {
        results.map { result in
            if case .reply(let bytes) = result { return try? KVReply(decoding: bytes) }
            return nil
        }
    }

    @Test func aBatchRoundTripsAndRefusesGarbage() throws {
        let items = [increment(1), BatchItem(origin: nil, command: [1, 2, 3])]
        let decoded = try CommandBatch.decode(CommandBatch(items: items).encoded(stampedAt: 42))
        #expect(decoded.items == items && decoded.time == 42)
        #expect(throws: BinaryDecodingError.self) { try CommandBatch.decode([7, 0, 0]) }
        var truncated = CommandBatch(items: items).encoded(stampedAt: 42)
        truncated.removeLast()
        #expect(throws: BinaryDecodingError.self) { try CommandBatch.decode(truncated) }
    }

    @Test func commandsOfOneEntryGetTheirOwnPositionsAndReplies() {
        var state = ReplicatedState<KVStore>()
        let results = state.apply(entry(1, [increment(1), increment(2), increment(3)]))
        #expect(replies(results) == [.integer(1), .integer(2), .integer(3)])
        #expect(state.appliedIndex == 1 && state.appliedCommands == 3)
    }

    @Test func aForwardRetriedInALaterEntryIsAppliedOnceAndGetsTheFirstReply() {
        var state = ReplicatedState<KVStore>()
        _ = state.apply(entry(1, [increment(1)]))
        // The forwarder did not hear back and sent request 1 again, to a new leader.
        let again = state.apply(entry(2, [increment(1), increment(2)]))
        #expect(replies(again) == [.integer(1), .integer(2)])
        #expect(state.machine.read("n").value == "2")
    }

    @Test func acknowledgedRepliesAreForgottenAndTheirRetriesIgnored() {
        var state = ReplicatedState<KVStore>()
        _ = state.apply(entry(1, [increment(1), increment(2)]))
        _ = state.apply(entry(2, [increment(3, acknowledged: 2)]))
        #expect(state.forwards.sessions[9]?.replies.keys.sorted() == [3])
        let late = state.apply(entry(3, [increment(2)]))
        guard case .answered = late[0] else {
            Issue.record("a retry of an acknowledged request must not apply again")
            return
        }
        #expect(state.machine.read("n").value == "3")
    }

    @Test func idleSessionsExpireInStampedTime() {
        var state = ReplicatedState<KVStore>()
        _ = state.apply(entry(1, [increment(1, session: 5)], time: 0))
        _ = state.apply(entry(2, [increment(1, session: 6)], time: ForwardSessions.idleTimeout + 2_000_000_000))
        #expect(state.forwards.sessions.keys.sorted() == [6])
    }

    @Test func aSnapshotCarriesTheSessionsSoADuplicateAfterRestoreIsStillCaught() throws {
        var state = ReplicatedState<KVStore>()
        _ = state.apply(entry(1, [increment(1), increment(2)]))
        var restored = try ReplicatedState<KVStore>(snapshot: state.snapshot())
        #expect(restored.snapshot() == state.snapshot())
        let again = restored.apply(entry(2, [increment(2)]))
        #expect(replies(again) == [.integer(2)])
        #expect(restored.machine.read("n").value == "2")
    }

    @Test func anEntryThatIsNoBatchIsSkippedAlikeEverywhere() {
        var state = ReplicatedState<KVStore>()
        let results = state.apply(LogEntry(term: 1, index: 1, data: [0xFF, 1]))
        guard case .undecodable = results.first else {
            Issue.record("expected the entry to be reported undecodable")
            return
        }
        #expect(state.appliedIndex == 1 && state.appliedCommands == 0)
    }

    @Test func aRequestIsTimedByTheLeadersStampNotByTheServerThatTookIt() throws {
        var state = ReplicatedState<KVStore>()
        let open = KVRequest.openSession(time: .zero)
        let opened = replies(
            state.apply(entry(1, [BatchItem(origin: nil, command: open.encoded())], time: 1_000_000_000)))
        guard case .sessionOpened(let id)? = opened.first ?? nil else {
            Issue.record("no session opened: \(opened)")
            return
        }
        // 61 s later by the leader's stamp, while the server that took it stamped 0.
        let late = KVRequest(session: id, sequence: 1, command: .put(key: "a", value: "1"), time: .zero)
        let result = replies(
            state.apply(entry(2, [BatchItem(origin: nil, command: late.encoded())], time: 62_000_000_000)))
        #expect(result == [.sessionExpired])
    }
}
