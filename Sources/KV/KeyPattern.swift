/// A glob-style pattern over a key's bytes, as Redis's `KEYS`, `SCAN ... MATCH` and
/// `CONFIG GET` read it: `*` any run of bytes, `?` one byte, `[abc]`, `[^a-z]` one byte
/// of (or not of) a set, and `\` making the next byte literal, also inside brackets.
///
/// ```swift
/// KeyPattern("user:*").matches("user:42")  // true
/// KeyPattern("h[^e]llo").matches("hello")  // false
/// ```
///
/// An unterminated `[` ends its set at the pattern's end, as in Redis.
public struct KeyPattern: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(_ text: String) { self.init(Array(text.utf8)) }

    /// Whether the pattern is `*` (any run of stars): every key matches.
    public var matchesEverything: Bool { !bytes.isEmpty && bytes.allSatisfy { $0 == Self.star } }

    public func matches(_ key: ByteString) -> Bool {
        matches(key.bytes)
    }

    /// - Complexity: O(p × k) in the pattern's and the key's lengths: after a `*`, only
    ///   the latest star is retried, so no input makes it exponential.
    public func matches(_ key: [UInt8]) -> Bool {
        var p = 0
        var k = 0
        // Where to resume after the latest `*`: the pattern after it, and the next key byte to give it.
        var starPattern: Int?
        var starKey = 0
        while true {
            if p < bytes.count, bytes[p] == Self.star {
                while p < bytes.count, bytes[p] == Self.star { p += 1 }
                if p == bytes.count { return true }
                starPattern = p
                starKey = k
                continue
            }
            if k == key.count && p == bytes.count { return true }
            if k < key.count, p < bytes.count, let next = step(at: p, byte: key[k]) {
                p = next
                k += 1
                continue
            }
            // A mismatch: let the latest star swallow one more byte, if the key has one.
            guard let resume = starPattern, starKey < key.count else { return false }
            starKey += 1
            p = resume
            k = starKey
        }
    }

    /// Matches one key byte against the element at `p` (not a star); the index after the
    /// element when it matches, `nil` when it does not.
    private func step(at start: Int, byte: UInt8) -> Int? {
        var p = start
        switch bytes[p] {
        case Self.question:
            return p + 1
        case Self.open:
            p += 1
            let negated = p < bytes.count && bytes[p] == Self.caret
            if negated { p += 1 }
            var matched = false
            while p < bytes.count && bytes[p] != Self.close {
                if bytes[p] == Self.backslash && p + 1 < bytes.count {
                    if bytes[p + 1] == byte { matched = true }
                    p += 2
                } else if p + 2 < bytes.count && bytes[p + 1] == Self.dash {
                    let low = min(bytes[p], bytes[p + 2])
                    let high = max(bytes[p], bytes[p + 2])
                    if (low...high).contains(byte) { matched = true }
                    p += 3
                } else {
                    if bytes[p] == byte { matched = true }
                    p += 1
                }
            }
            if p < bytes.count { p += 1 }  // the closing bracket
            return matched != negated ? p : nil
        case Self.backslash where p + 1 < bytes.count:
            return bytes[p + 1] == byte ? p + 2 : nil
        default:
            return bytes[p] == byte ? p + 1 : nil
        }
    }

    private static let star = UInt8(ascii: "*")
    private static let question = UInt8(ascii: "?")
    private static let open = UInt8(ascii: "[")
    private static let close = UInt8(ascii: "]")
    private static let caret = UInt8(ascii: "^")
    private static let dash = UInt8(ascii: "-")
    private static let backslash = UInt8(ascii: "\\")
}
