import SynodCore
import Testing

@Suite struct SeededGeneratorTests {
    private func draw(_ generator: inout SeededGenerator, _ count: Int) -> [UInt64] {
        (0..<count).map { _ in generator.next() }
    }

    @Test func theSameSeedGivesTheSameSequence() {
        var a = SeededGenerator(seed: 2024)
        var b = SeededGenerator(seed: 2024)
        #expect(draw(&a, 100) == draw(&b, 100))
    }

    @Test func differentSeedsGiveDifferentSequences() {
        var a = SeededGenerator(seed: 1)
        var b = SeededGenerator(seed: 2)
        #expect(draw(&a, 8) != draw(&b, 8))
        var zero = SeededGenerator(seed: 0)
        #expect(Set(draw(&zero, 8)).count == 8, "seed 0 still gives a mixed stream")
    }

    @Test func streamsOfOneSeedAreDistinctAndIndependent() {
        var one = SeededGenerator(seed: 7, stream: 1)
        var two = SeededGenerator(seed: 7, stream: 2)
        var plain = SeededGenerator(seed: 7)
        let first = draw(&one, 16)
        let second = draw(&two, 16)
        #expect(first != second)
        #expect(first != draw(&plain, 16))

        // Drawing more from one stream does not shift another.
        var busy = SeededGenerator(seed: 7, stream: 1)
        _ = draw(&busy, 1_000)
        var again = SeededGenerator(seed: 7, stream: 2)
        #expect(draw(&again, 16) == second)

        var other = SeededGenerator(seed: 8, stream: 1)
        #expect(draw(&other, 16) != first, "the stream depends on the seed too")
    }

    @Test func spanStaysWithinItsBoundsAndCoversThem() {
        var generator = SeededGenerator(seed: 3)
        let lower = TimeSpan(nanoseconds: 10)
        let upper = TimeSpan(nanoseconds: 13)
        var seen: Set<TimeSpan> = []
        for _ in 0..<1_000 {
            let span = generator.span(lower, upper)
            #expect(span >= lower && span <= upper)
            seen.insert(span)
        }
        #expect(seen.count == 4, "both ends are reachable")
        #expect(generator.span(.milliseconds(5), .milliseconds(5)) == .milliseconds(5))
        #expect(generator.span(.milliseconds(5), .milliseconds(1)) == .milliseconds(5))
    }

    @Test func chanceHonoursItsProbability() {
        var generator = SeededGenerator(seed: 11)
        #expect((0..<1_000).allSatisfy { _ in !generator.chance(0) })
        #expect((0..<1_000).allSatisfy { _ in generator.chance(1) })
        let hits = (0..<10_000).filter { _ in generator.chance(0.25) }.count
        #expect((2_200...2_800).contains(hits))
    }

    @Test func worksWithTheStandardLibrarysRandomAPIs() {
        var a = SeededGenerator(seed: 5)
        var b = SeededGenerator(seed: 5)
        #expect(Array(0..<20).shuffled(using: &a) == Array(0..<20).shuffled(using: &b))
        let value = Int.random(in: 10..<20, using: &a)
        #expect((10..<20).contains(value))
    }

    @Test func splitMixIsDeterministic() {
        var a = SplitMix64(state: 99)
        var b = SplitMix64(state: 99)
        let values = (0..<4).map { _ in a.next() }
        #expect(values == (0..<4).map { _ in b.next() })
        #expect(Set(values).count == 4)
    }
}
