import SynodCore
import SynodServer

/// Helpers for the RESP tests: text as bytes, parsing a whole input in chunks, and
/// random values drawn from a seeded generator.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Every value in `input`, fed to a fresh parser in chunks of `chunk` bytes (all at
/// once when `nil`), and the error that stopped it, if any.
func parseAll(
    _ input: [UInt8], chunk: Int? = nil, limits: RESPParser.Limits = .init()
) -> (values: [RESPValue], error: RESPError?) {
    var parser = RESPParser(limits: limits)
    var values: [RESPValue] = []
    var start = 0
    repeat {
        let end = min(input.count, start + (chunk ?? input.count))
        parser.append(input[start..<end])
        start = end
        do {
            while let value = try parser.next() { values.append(value) }
        } catch {
            return (values, error)
        }
    } while start < input.count
    return (values, nil)
}

extension SeededGenerator {
    mutating func below(_ bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }

    /// A random value, arrays nested at most `depth` deep; simple strings and errors
    /// hold no CR or LF (RESP cannot carry them there).
    mutating func respValue(depth: Int = 3) -> RESPValue {
        let lines = ["", "OK", "PONG", "ERR syntax error", "é 🙂", "a\tb"]
        switch below(depth > 0 ? 6 : 5) {
        case 0: return .simpleString(lines[below(lines.count)])
        case 1: return .error(lines[below(lines.count)])
        case 2:
            let integers: [Int64] = [0, 1, -1, 42, .max, .min, Int64(bitPattern: next())]
            return .integer(integers[below(integers.count)])
        case 3, 4:
            guard below(8) > 0 else { return .bulkString(nil) }
            return .bulkString((0..<below(12)).map { _ in [0x0D, 0x0A, 0x24, 0x2A, 0x41, 0x00, 0xFF][below(7)] })
        default:
            guard below(8) > 0 else { return .array(nil) }
            return .array((0..<below(4)).map { _ in respValue(depth: depth - 1) })
        }
    }
}
