import KV
import SynodCore
import Testing

/// Snapshots for log compaction: a restored store behaves exactly like the original,
/// and equal states have equal bytes.
@Suite struct SnapshotTests {
    @Test func anEmptyStoreRoundTrips() throws {
        let store = KVStore(sessionTimeout: .seconds(5))
        let restored = try KVStore(snapshot: store.snapshot())
        #expect(restored.snapshot() == store.snapshot())
        #expect(restored.sessionTimeout == .seconds(5))
        #expect(restored.appliedIndex == 0)
        #expect(restored.latestTime == nil)
    }

    @Test func aRestoredStoreKeepsValuesVersionsSessionsAndTime() throws {
        var replica = Replica(sessionTimeout: .seconds(20))
        let client = replica.openSession(at: 3)
        replica.apply(.put(key: "x", value: "a"), session: client, sequence: 1, at: 4)
        replica.apply(.append(key: "🙂", suffix: "b"), at: 7)
        replica.noop()
        var restored = try KVStore(snapshot: replica.store.snapshot())
        #expect(restored.read("x") == ("a", 2))
        #expect(restored.read("🙂") == ("b", 3))
        #expect(restored.keyCount == 2)
        #expect(restored.sessionCount == 1)
        #expect(restored.appliedIndex == 4)
        #expect(restored.latestTime == .seconds(7))
        #expect(restored.sessionTimeout == .seconds(20))
        let retry = KVRequest(session: client, sequence: 1, command: .put(key: "x", value: "a"), time: .seconds(8))
        #expect(restored.apply(retry, at: 5) == .done)
        #expect(restored.read("x") == ("a", 2), "the retry was recognized after the restore")
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func restoringAnywhereThenApplyingTheRestGivesTheSameRepliesAndBytes(seed: UInt64) throws {
        let workload = Workload(seed: seed, count: 300)
        var random = SeededGenerator(seed: seed, stream: 1)
        for _ in 0..<4 {
            let cut = random.int(0...(workload.entries.count - 1))
            var store = KVStore(sessionTimeout: Workload.sessionTimeout)
            for (position, entry) in workload.entries[..<cut].enumerated() {
                apply(entry, to: &store, at: position)
            }
            let bytes = store.snapshot()
            var restored = try KVStore(snapshot: bytes)
            #expect(restored.snapshot() == bytes, "seed \(seed), cut \(cut)")
            for position in cut..<workload.entries.count {
                let reply = apply(workload.entries[position], to: &restored, at: position)
                #expect(reply == workload.replies[position], "seed \(seed), cut \(cut), entry \(position + 1)")
            }
            #expect(restored.snapshot() == workload.snapshots.last, "seed \(seed), cut \(cut)")
        }
    }

    @Test func aRestoredStoreAnswersRetriesOfTheNewCommandsWithTheirRecordedReplies() throws {
        var replica = Replica()
        let counter = replica.openSession()
        let setter = replica.openSession()
        let remover = replica.openSession()
        replica.apply(.put(key: "gone", value: "1"))
        replica.apply(.increment(key: "n", by: 3), session: counter, sequence: 1)
        replica.apply(.putIf(key: "x", value: "a", exists: false), session: setter, sequence: 1)
        replica.apply(.remove(keys: ["gone", "never"]), session: remover, sequence: 1)
        var restored = try KVStore(snapshot: replica.store.snapshot())
        #expect(restored.snapshot() == replica.store.snapshot())
        let retries: [(UInt64, KVCommand, KVReply)] = [
            (counter, .increment(key: "n", by: 3), .integer(3)),
            (setter, .putIf(key: "x", value: "a", exists: false), .applied(true)),
            (remover, .remove(keys: ["gone", "never"]), .integer(1)),
        ]
        for (offset, (session, command, reply)) in retries.enumerated() {
            let request = KVRequest(session: session, sequence: 1, command: command, time: .zero)
            #expect(restored.apply(request, at: LogIndex(UInt64(8 + offset))) == reply)
        }
        #expect(restored.read("n") == ("3", 5))
        #expect(restored.read("x") == ("a", 6))
    }

    @Test func theWorkloadExercisesEveryKindOfReply() {
        let replies = (1...6 as ClosedRange<UInt64>).flatMap { Workload(seed: $0, count: 300).replies }
        #expect(replies.contains(.failed(.notAnInteger)))
        #expect(replies.contains(.failed(.overflow)))
        #expect(replies.contains(.applied(true)) && replies.contains(.applied(false)))
        #expect(replies.contains { if case .integer = $0 { true } else { false } })
        #expect(replies.contains(.sessionExpired))
        #expect(replies.contains(.outOfOrder))
        #expect(replies.contains { if case .cas(true, _) = $0 { true } else { false } })
        #expect(replies.contains { if case .value(.some, _) = $0 { true } else { false } })
    }

    @Test func everyPrefixOfASnapshotIsRejected() {
        let bytes = Workload(seed: 3, count: 120).snapshots.last!
        for count in 0..<bytes.count {
            #expect(throws: BinaryDecodingError.self) { try KVStore(snapshot: Array(bytes[..<count])) }
        }
        #expect(throws: BinaryDecodingError.trailingBytes(offset: bytes.count)) {
            try KVStore(snapshot: bytes + [0])
        }
    }

    @Test func aDamagedSnapshotIsRejectedOrDecodesToExactlyThoseBytes() throws {
        let bytes = Workload(seed: 4, count: 120).snapshots.last!
        var random = SeededGenerator(seed: 4)
        var rejected = 0
        for position in bytes.indices {
            var damaged = bytes
            damaged[position] ^= UInt8(truncatingIfNeeded: random.next()) | 1
            do {
                #expect(try KVStore(snapshot: damaged).snapshot() == damaged, "byte \(position)")
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > bytes.count / 2)
    }

    @Test func randomBytesAreRejected() {
        var random = SeededGenerator(seed: 99)
        for _ in 0..<2_000 {
            var bytes = random.bytes(count: random.int(0...40))
            if random.chance(0.5), !bytes.isEmpty { bytes[0] = 1 }
            #expect(throws: BinaryDecodingError.self) { try KVStore(snapshot: bytes) }
        }
    }

    @Test func aSnapshotWithKeysOutOfOrderIsRejected() {
        var writer = BinaryWriter()
        writer.writeByte(1)  // format version
        writer.writeVarint(5)  // applied index
        writer.writeInteger(TimeSpan.seconds(60).nanoseconds)
        writer.writeOptional(Instant.zero) { $0.writeInteger($1.nanoseconds) }
        writer.writeVarint(2)
        for key in ["b", "a"] {
            writer.writeString(key)
            writer.writeString("v")
            writer.writeVarint(1)
        }
        writer.writeVarint(0)  // sessions
        #expect {
            try KVStore(snapshot: writer.bytes)
        } throws: { error in
            if case .invalidValue = error as? BinaryDecodingError { true } else { false }
        }
    }

    @discardableResult
    private func apply(_ entry: KVRequest?, to store: inout KVStore, at position: Int) -> KVReply? {
        let index = LogIndex(UInt64(position + 1))
        guard let entry else {
            store.applyNoop(at: index)
            return nil
        }
        return store.apply(entry, at: index)
    }
}
