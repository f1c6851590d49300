extension RESPParser {
    /// Splits an inline command line into arguments the way Redis does (`sdssplitargs`):
    /// words separated by blanks; `"double quotes"` with the escapes `\n \r \t \b \a \\
    /// \" \xHH`; `'single quotes'` with only `\'`. A closing quote must be followed by a
    /// blank or the end of the line.
    static func splitInline(_ line: ArraySlice<UInt8>) throws(RESPError) -> [[UInt8]] {
        var arguments: [[UInt8]] = []
        var index = line.startIndex
        let end = line.endIndex
        while true {
            while index < end && isBlank(line[index]) { index += 1 }
            guard index < end else { return arguments }
            var argument: [UInt8] = []
            var quote: UInt8?
            word: while true {
                if let open = quote {
                    guard index < end else { throw .unbalancedQuotes }
                    let byte = line[index]
                    if byte == open {
                        index += 1
                        guard index == end || isBlank(line[index]) else { throw .unbalancedQuotes }
                        quote = nil
                        break word
                    } else if open == UInt8(ascii: "'") {
                        // Only \' is an escape between single quotes.
                        if byte == UInt8(ascii: "\\") && index + 1 < end && line[index + 1] == open { index += 1 }
                        argument.append(line[index])
                    } else if byte == UInt8(ascii: "\\") && index + 1 < end {
                        index += 1
                        let escaped = line[index]
                        if escaped == UInt8(ascii: "x"), index + 2 < end,
                            let high = hexValue(line[index + 1]), let low = hexValue(line[index + 2])
                        {
                            argument.append(high << 4 | low)
                            index += 2
                        } else {
                            argument.append(unescape(escaped))
                        }
                    } else {
                        argument.append(byte)
                    }
                    index += 1
                } else {
                    guard index < end else { break word }
                    let byte = line[index]
                    if isSeparator(byte) {
                        index += 1
                        break word
                    }
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        quote = byte
                    } else {
                        argument.append(byte)
                    }
                    index += 1
                }
            }
            arguments.append(argument)
        }
    }

    /// What may separate arguments (C's `isspace`).
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// What ends an unquoted argument in `sdssplitargs`.
    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x00
    }

    private static func unescape(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "a"): 0x07
        default: byte
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
