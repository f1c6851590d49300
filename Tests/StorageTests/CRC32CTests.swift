import SynodCore
import Testing

@testable import Storage

@Suite("CRC32C")
struct CRC32CTests {
    @Test("matches the standard check values (RFC 3720, iSCSI)")
    func checkValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test("feeding a message in parts gives the one-shot value (seed 7)")
    func incremental() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let count = Int(generator.next(upperBound: 300 as UInt64))
            let message = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var crc = CRC32C()
            var start = 0
            while start < count {
                let end = min(count, start + Int(generator.next(upperBound: 20 as UInt64)))
                crc.update(message[start..<end])
                start = end
            }
            #expect(crc.value == CRC32C.checksum(message), "length \(count)")
            #expect(CRC32C.checksum(message) == bitwiseCRC32C(message), "length \(count)")
        }
    }

    /// The textbook one-bit-at-a-time definition, to check the sliced tables against.
    private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
