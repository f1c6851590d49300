import SynodCore
import Testing

@Suite struct TimeSpanParsingTests {
    @Test(arguments: [
        ("10s", Int64(10_000_000_000)),
        ("250ms", 250_000_000),
        ("1.5s", 1_500_000_000),
        ("500us", 500_000),
        ("500µs", 500_000),
        ("42ns", 42),
        ("2m", 120_000_000_000),
        ("3h", 10_800_000_000_000),
        ("0s", 0),
        ("0.25ms", 250_000),
    ])
    func parsesTheCommandLineForms(text: String, nanoseconds: Int64) {
        #expect(TimeSpan(parsing: text) == TimeSpan(nanoseconds: nanoseconds))
    }

    @Test(arguments: [
        "", "10", "s", "ms", "abc", "ten s", "10 s", "-5s", "-0.5ms", "1.5xs", "10d", "infs", "nans", "1,5s",
    ])
    func rejectsAnythingElse(text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    /// Input too large for 64-bit nanoseconds is bad input like any other; it must not
    /// trap (the command line passes user text straight in).
    @Test(arguments: ["10000000h", "1e30s"])
    func rejectsSpansTooLongToRepresent(text: String) async {
        await #expect(processExitsWith: .success) { [text] in
            precondition(TimeSpan(parsing: text) == nil, "parsed an unrepresentable span")
        }
    }

    @Test(arguments: ["10s", "250ms", "500us", "42ns", "1500ms"])
    func descriptionParsesBackToTheSameSpan(text: String) throws {
        let span = try #require(TimeSpan(parsing: text))
        #expect(TimeSpan(parsing: span.description) == span)
    }

    @Test func descriptionUsesTheLargestExactUnit() {
        #expect(TimeSpan.seconds(3).description == "3s")
        #expect(TimeSpan.milliseconds(1_500).description == "1500ms")
        #expect(TimeSpan.microseconds(7).description == "7us")
        #expect(TimeSpan(nanoseconds: 1_001).description == "1001ns")
    }
}

@Suite struct InstantTests {
    @Test func arithmeticWithSpans() {
        let start = Instant(nanoseconds: 1_000)
        let later = start + .milliseconds(2)
        #expect(later.nanoseconds == 2_001_000)
        #expect(later - start == .milliseconds(2))
        #expect(later - .milliseconds(2) == start)
        var moving = start
        moving += .microseconds(1)
        #expect(moving == Instant(nanoseconds: 2_000))
        #expect(start < later)
        #expect(Instant.zero < Instant.distantFuture)
    }

    @Test func spanArithmetic() {
        #expect(TimeSpan.seconds(1) + .milliseconds(500) == TimeSpan(nanoseconds: 1_500_000_000))
        #expect(TimeSpan.seconds(1) - .milliseconds(1) == .microseconds(999_000))
        #expect(TimeSpan.milliseconds(10) * 3 == .milliseconds(30))
        #expect(TimeSpan.milliseconds(1_500).seconds == 1.5)
        #expect(TimeSpan.microseconds(2_500).milliseconds == 2.5)
    }

    @Test func descriptionIsFixedWidthSecondsWithMicroseconds() {
        #expect(Instant.zero.description == "0.000000")
        #expect((Instant.zero + .milliseconds(1_500)).description == "1.500000")
        #expect(Instant(nanoseconds: 12_345_678_999).description == "12.345678")
    }
}
