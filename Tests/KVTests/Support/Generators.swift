import KV
import SynodCore

/// Random values for property tests, drawn from a seeded generator so that a failure
/// is replayed by its seed.
extension SeededGenerator {
    /// A few keys, so that random operations collide; some are not ASCII, one not UTF-8.
    static let keys: [ByteString] = ["a", "b", "c", "ключ", "🙂", ByteString([0xFF, 0x0D, 0x0A])]
    private static let pieces: [ByteString] = [
        "", "x", "y", "42", "é", "e\u{301}", "🙂", "\u{0}", " ", "ab", ByteString([0xC3, 0x28]),
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }

    mutating func string() -> ByteString {
        (0..<int(0...3)).map { _ in pick(Self.pieces) }.reduce("", +)
    }

    mutating func optionalString() -> ByteString? { chance(0.3) ? nil : string() }

    /// Small, boundary and arbitrary integers: varints of every length.
    mutating func uint64() -> UInt64 {
        switch int(0...3) {
        case 0: UInt64(int(0...200))
        case 1: pick([0, 127, 128, 16_383, 16_384, UInt64(Int64.max), .max])
        default: next() >> UInt64(int(0...63))
        }
    }

    /// Integers as text, so that increments find numbers, non-numbers and overflow.
    private static let numbers: [ByteString] = [
        "0", "1", "-7", "42", "9223372036854775807", "-9223372036854775808", "+1", "007",
    ]

    mutating func int64() -> Int64 {
        chance(0.6) ? Int64(int(-3...3)) : pick([.max, .min, 1 << 62])
    }

    mutating func command() -> KVCommand {
        switch int(0...12) {
        case 0: .put(key: pick(Self.keys), value: chance(0.3) ? pick(Self.numbers) : string())
        case 1: .get(key: pick(Self.keys))
        case 2: .delete(key: pick(Self.keys))
        case 3: .cas(key: pick(Self.keys), from: optionalString(), to: optionalString())
        case 4: .append(key: pick(Self.keys), suffix: string())
        case 5: .increment(key: pick(Self.keys), by: int64())
        case 6: .putIf(key: pick(Self.keys), value: string(), exists: chance(0.5))
        case 7: .remove(keys: (0..<int(0...3)).map { _ in pick(Self.keys) })
        case 8:
            .putAll(
                pairs: (0..<int(0...3)).map { _ in KeyValuePair(key: pick(Self.keys), value: string()) },
                ifAllAbsent: chance(0.5))
        case 9: .getAndPut(key: pick(Self.keys), value: string(), exists: chance(0.3) ? nil : chance(0.5))
        case 10: .getAndDelete(key: pick(Self.keys))
        case 11: .removeAll
        default: .openSession
        }
    }

    mutating func request() -> KVRequest {
        KVRequest(
            session: uint64(), sequence: uint64(), command: command(),
            time: Instant(nanoseconds: Int64(bitPattern: chance(0.5) ? next() : next() >> 40)))
    }

    mutating func reply() -> KVReply {
        switch int(0...8) {
        // LogIndex's `==` goes through `distance(to:)`, which traps past Int.max.
        case 0: .value(optionalString(), version: chance(0.3) ? nil : LogIndex(uint64() & UInt64(Int.max)))
        case 1: .done
        case 2: .cas(succeeded: chance(0.5), current: optionalString())
        case 3: .sessionOpened(id: uint64())
        case 4: .sessionExpired
        case 5: .integer(Int64(bitPattern: uint64()))
        case 6: .applied(chance(0.5))
        case 7: .failed(pick(KVFailure.allCases))
        default: .outOfOrder
        }
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
