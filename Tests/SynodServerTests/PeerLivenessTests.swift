import NIOCore
import Testing

@testable import SynodServer

/// The silence detector and the redial backoff are plain values: each story here runs
/// without a socket or a clock.
struct PeerLivenessTests {
    /// The detector's verdict at each of `count` ticks.
    func ticks(_ count: Int, of detector: inout SilenceDetector) -> [Bool] {
        (0..<count).map { _ in detector.tick() }
    }

    @Test func aPeerThatOwesAnAnswerAndSaysNothingIsGoneAfterTheLimit() {
        var detector = SilenceDetector(limit: 3)
        detector.expectAnswer()
        #expect(ticks(3, of: &detector) == [false, false, true], "three ticks without a byte while owed")
    }

    @Test func anyByteFromThePeerStartsTheCountAgain() {
        var detector = SilenceDetector(limit: 3)
        var verdicts: [Bool] = []
        for _ in 0..<10 {
            detector.expectAnswer()
            verdicts += ticks(2, of: &detector)
            detector.heard()
        }
        #expect(!verdicts.contains(true))
        #expect(!detector.isWaiting)
    }

    @Test func aQuietLinkThatOwesNothingIsNeverJudged() {
        var detector = SilenceDetector(limit: 3)
        #expect(!ticks(100, of: &detector).contains(true))
    }

    @Test func theCountRunsFromTheOldestUnansweredRequest() {
        var detector = SilenceDetector(limit: 3)
        detector.expectAnswer()
        var verdicts = ticks(1, of: &detector)
        detector.expectAnswer()  // a heartbeat more, still unanswered
        verdicts += ticks(2, of: &detector)
        #expect(verdicts == [false, false, true])
    }

    @Test func redialsBackOffToTheLimitAndStartOverAfterAConnection() {
        var backoff = RedialBackoff(first: .milliseconds(50), limit: .milliseconds(200))
        let delays = (0..<5).map { _ in backoff.delay() }
        let expected: [TimeAmount] = [50, 100, 200, 200, 200].map { .milliseconds($0) }
        #expect(delays == expected)
        backoff.reset()
        let afterReset = backoff.delay()
        #expect(afterReset == .milliseconds(50))
    }
}
