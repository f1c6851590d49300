import KV
import Testing

/// Glob patterns as Redis's `stringmatchlen` reads them, for KEYS, SCAN ... MATCH and
/// CONFIG GET.
@Suite struct KeyPatternTests {
    @Test(
        arguments: [
            ("*", "", true), ("*", "anything", true), ("", "", true), ("", "a", false),
            ("h?llo", "hello", true), ("h?llo", "hllo", false), ("h*llo", "hllo", true), ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true), ("h[ae]llo", "hillo", false), ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false), ("h[a-b]llo", "hbllo", true), ("h[b-a]llo", "hallo", true),
            ("h[a-b]llo", "hcllo", false), ("user:*", "user:", true), ("user:*", "use", false),
            ("*:*:*", "a:b:c", true), ("*:*:*", "a:b", false), ("a*b*c", "abbbbbbbbbbbbbbbbbbbbbbbbbbbd", false),
            ("\\*", "*", true), ("\\*", "a", false), ("[\\]]", "]", true), ("a\\", "a\\", true),
            ("[abc", "b", true), ("[abc", "d", false), ("?", "", false), ("**a", "ba", true), ("a[", "a", false),
        ])
    func matchesLikeRedis(pattern: String, key: String, expected: Bool) {
        #expect(KeyPattern(pattern).matches(ByteString(key)) == expected, "\(pattern) against \(key)")
    }

    @Test func aQuestionMarkIsOneByteNotOneCharacter() {
        #expect(KeyPattern("??").matches("é"), "é is two UTF-8 bytes")
        #expect(!KeyPattern("?").matches("é"))
    }

    @Test func manyStarsStayFast() {
        let pattern = KeyPattern(String(repeating: "*a", count: 30) + "b")
        #expect(!pattern.matches(ByteString(String(repeating: "a", count: 200))))
    }

    @Test func onlyStarsMatchEverything() {
        #expect(KeyPattern("*").matchesEverything)
        #expect(KeyPattern("***").matchesEverything)
        #expect(!KeyPattern("").matchesEverything)
        #expect(!KeyPattern("*a").matchesEverything)
    }
}
