/// The little JSON that history files need: one flat object per line, read without
/// Foundation so that errors can say exactly what is wrong and where, and strings
/// written back with JSON's escapes.
enum JSONText {
    /// A JSON value, with nested containers kept only as their kind (history fields never nest).
    enum Value: Equatable {
        case string(String)
        /// A number written without fraction or exponent that fits in 64 bits.
        case integer(Int64)
        /// Any other number, as written.
        case number(String)
        case bool(Bool)
        case null
        case array
        case object

        /// The kind of value, for error messages: `a string`, `an integer`...
        var kind: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .number(let text): "the number \(text)"
            case .bool(let flag): flag ? "true" : "false"
            case .null: "null"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    /// A syntax error at a 1-based column (counted in bytes).
    struct SyntaxError: Error, Equatable {
        var column: Int
        var message: String
    }

    /// Parses `bytes[range]` as one JSON object and returns its members in order.
    static func parseObject(_ bytes: [UInt8], _ range: Range<Int>) throws(SyntaxError) -> [(String, Value)] {
        var reader = Reader(bytes: bytes, position: range.lowerBound, end: range.upperBound, start: range.lowerBound)
        reader.skipWhitespace()
        guard reader.peek == UInt8(ascii: "{") else {
            throw reader.error("expected a JSON object, starting with '{'")
        }
        let members = try reader.members()
        reader.skipWhitespace()
        if reader.position < reader.end {
            throw reader.error("unexpected text after the object")
        }
        return members
    }

    /// `value` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quote(_ value: String) -> String {
        var output = "\""
        var plainStart = value.unicodeScalars.startIndex
        var index = plainStart
        let scalars = value.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\u{08}": escape = "\\b"
            case "\u{0C}": escape = "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escape = nil
                }
            }
            if let escape {
                output.unicodeScalars.append(contentsOf: scalars[plainStart..<index])
                output += escape
                plainStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        output.unicodeScalars.append(contentsOf: scalars[plainStart..<scalars.endIndex])
        output += "\""
        return output
    }

    /// A cursor over the bytes of one line.
    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let end: Int
        let start: Int
        var depth = 0

        var peek: UInt8? { position < end ? bytes[position] : nil }

        func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
            SyntaxError(column: (offset ?? position) - start + 1, message: message)
        }

        mutating func skipWhitespace() {
            while position < end {
                switch bytes[position] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): position += 1
                default: return
                }
            }
        }

        /// An object's members; the cursor is on `{`.
        mutating func members() throws(SyntaxError) -> [(String, Value)] {
            position += 1
            var members: [(String, Value)] = []
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                position += 1
                return members
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw error("expected a field name in double quotes") }
                let name = try string()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw error("expected ':' after the field name") }
                position += 1
                let value = try value()
                members.append((name, value))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"):
                    position += 1
                    return members
                case nil: throw error("unexpected end of line: expected ',' or '}'")
                default: throw error("expected ',' or '}'")
                }
            }
        }

        mutating func value() throws(SyntaxError) -> Value {
            skipWhitespace()
            guard let byte = peek else { throw error("unexpected end of line: expected a value") }
            switch byte {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                defer { depth -= 1 }
                if depth > 32 { throw error("values nested too deeply") }
                if byte == UInt8(ascii: "{") {
                    _ = try members()
                    return .object
                }
                try array()
                return .array
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("expected a value")
            }
        }

        mutating func array() throws(SyntaxError) {
            position += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                _ = try value()
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"):
                    position += 1
                    return
                default: throw error("expected ',' or ']'")
                }
            }
        }

        mutating func literal(_ word: StaticString, _ value: Value) throws(SyntaxError) -> Value {
            let count = word.utf8CodeUnitCount
            guard end - position >= count else { throw error("expected a value") }
            for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] {
                throw error("expected a value")
            }
            position += count
            return value
        }

        mutating func number() throws(SyntaxError) -> Value {
            let first = position
            var integral = true
            if peek == UInt8(ascii: "-") { position += 1 }
            guard let lead = peek, isDigit(lead) else { throw error("expected a digit") }
            position += 1
            if lead != UInt8(ascii: "0") {
                while let byte = peek, isDigit(byte) { position += 1 }
            }
            if peek == UInt8(ascii: ".") {
                integral = false
                position += 1
                guard let byte = peek, isDigit(byte) else { throw error("expected a digit after '.'") }
                while let byte = peek, isDigit(byte) { position += 1 }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                integral = false
                position += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
                guard let byte = peek, isDigit(byte) else { throw error("expected a digit in the exponent") }
                while let byte = peek, isDigit(byte) { position += 1 }
            }
            let text = String(decoding: bytes[first..<position], as: UTF8.self)
            if integral, let integer = Int64(text) { return .integer(integer) }
            return .number(text)
        }

        /// A string literal; the cursor is on the opening quote.
        mutating func string() throws(SyntaxError) -> String {
            let opening = position
            position += 1
            let contentStart = position
            // Fast path: no escapes.
            while position < end {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    return try text(bytes[contentStart..<(position - 1)], opening: opening)
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                position += 1
            }
            var buffer = Array(bytes[contentStart..<position])
            while position < end {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    return try text(buffer[...], opening: opening)
                case UInt8(ascii: "\\"):
                    try escape(into: &buffer)
                case 0..<0x20:
                    throw error("control character in a string (escape it)")
                default:
                    buffer.append(byte)
                    position += 1
                }
            }
            throw error("unterminated string", at: opening)
        }

        func text(_ utf8: ArraySlice<UInt8>, opening: Int) throws(SyntaxError) -> String {
            guard let string = String(validating: utf8, as: UTF8.self) else {
                throw error("a string that is not valid UTF-8", at: opening)
            }
            return string
        }

        /// An escape sequence; the cursor is on the backslash.
        mutating func escape(into buffer: inout [UInt8]) throws(SyntaxError) {
            let backslash = position
            position += 1
            guard let byte = peek else { throw error("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var code = UInt32(try hex4())
                if (0xD800..<0xDC00).contains(code) {
                    guard end - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("a lone UTF-16 surrogate in \\u escape", at: backslash) }
                    position += 2
                    let low = UInt32(try hex4())
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw error("a lone UTF-16 surrogate in \\u escape", at: backslash)
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw error("a lone UTF-16 surrogate in \\u escape", at: backslash)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape", at: backslash) }
                UTF8.encode(scalar) { buffer.append($0) }
            default:
                throw error("invalid escape sequence", at: backslash)
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt16 {
            guard end - position >= 4 else { throw error("expected four hex digits after \\u") }
            var code: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("expected four hex digits after \\u")
                }
                code = code << 4 | UInt16(digit)
                position += 1
            }
            return code
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    }
}
