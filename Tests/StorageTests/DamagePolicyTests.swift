import Storage
import Testing

@Suite("Damage policy")
struct DamagePolicyTests {
    @Test("only the tail of the last segment can be a torn write")
    func tailOnly() {
        #expect(classifyDamage(.incomplete, inLastSegment: true, validRecordsFollow: false) == .tornTail)
        #expect(classifyDamage(.zeroFilled, inLastSegment: true, validRecordsFollow: false) == .tornTail)
        #expect(classifyDamage(.checksumMismatch, inLastSegment: true, validRecordsFollow: false) == .ambiguousTail)
        #expect(classifyDamage(.incomplete, inLastSegment: false, validRecordsFollow: false) == .corrupt)
        #expect(classifyDamage(.checksumMismatch, inLastSegment: true, validRecordsFollow: true) == .corrupt)
    }
}
