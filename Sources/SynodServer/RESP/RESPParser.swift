/// An incremental RESP2 parser: feed it bytes as they arrive with `append(_:)`, then
/// call `next()` until it returns `nil` (more bytes needed). It accepts every RESP2
/// value, and at the top level also Redis's inline commands (`PING\r\n`,
/// `SET a "b c"\r\n`), returned as an array of bulk strings like a regular command.
///
/// ```swift
/// var parser = RESPParser(limits: .init(maxBulkLength: 16 << 20))
/// parser.append(Array("*1\r\n$4\r\nPING\r\nSET a 1\r\n".utf8))
/// try parser.next()  // .array([.bulk("PING")])
/// try parser.next()  // .array([.bulk("SET"), .bulk("a"), .bulk("1")])
/// try parser.next()  // nil
/// ```
///
/// Progress is kept between calls (array headers and bulk lengths already read are not
/// read again), so a value split over many reads costs O(its size) in all. Declared
/// sizes are checked against the limits before anything is kept, and never reserved up
/// front: memory grows only with bytes actually received. After an error the parser
/// throws the same error forever; the connection must be closed. The one exception is a
/// request over the soft limits (`maxValueLength`, `maxRequestLength`): its bytes are
/// read and discarded as they arrive, and once its end has passed `next()` throws
/// `RESPError.valueTooLong` or `.requestTooLong` (`isRecoverable`) and parsing goes on
/// with the next request.
public struct RESPParser: Sendable {
    /// Bounds on what a peer may declare or send; over-limit input is a `RESPError`.
    public struct Limits: Sendable, Hashable {
        /// Longest bulk string, in bytes (Redis's `proto-max-bulk-len`, 512 MiB by default).
        public var maxBulkLength: Int
        /// Most elements in one array.
        public var maxArrayLength: Int
        /// Longest inline command, simple string or error line, in bytes.
        public var maxInlineLength: Int
        /// Deepest nesting of arrays; 1 allows a flat array (every client command).
        public var maxDepth: Int
        /// Longest bulk string a request may hold and still be taken; a longer one (up
        /// to `maxBulkLength`) is skipped, and its request refused without closing.
        public var maxValueLength: Int
        /// Most bytes one top-level value may take on the wire, framing included; the
        /// rest of a longer one is skipped, and it is refused without closing.
        public var maxRequestLength: Int

        public init(
            maxBulkLength: Int = 512 << 20, maxArrayLength: Int = 1 << 20, maxInlineLength: Int = 64 << 10,
            maxDepth: Int = 16, maxValueLength: Int = .max, maxRequestLength: Int = .max
        ) {
            precondition(maxBulkLength >= 0 && maxArrayLength >= 0 && maxInlineLength > 0 && maxDepth > 0)
            precondition(maxValueLength >= 0 && maxRequestLength > 0)
            self.maxBulkLength = maxBulkLength
            self.maxArrayLength = maxArrayLength
            self.maxInlineLength = maxInlineLength
            self.maxDepth = maxDepth
            self.maxValueLength = maxValueLength
            self.maxRequestLength = maxRequestLength
        }
    }

    /// An array whose header was read and whose elements are still arriving.
    private struct Frame: Sendable {
        var count: Int
        var received = 0
        var elements: [RESPValue]
    }

    /// The longest header line a length or an integer needs: a type byte, 20 characters
    /// of `Int64.min`, CRLF; a little slack for nothing else.
    private static let maxNumberLine = 32
    /// Consumed bytes are dropped from the front once there are this many, and at least
    /// as many as unread ones, so compaction costs O(1) amortized per byte.
    private static let compactionThreshold = 4_096

    public let limits: Limits
    private var buffer: [UInt8] = []
    /// The first unread byte.
    private var readIndex = 0
    /// Where the search for the current line's `\n` resumes: bytes before it were searched.
    private var scanIndex = 0
    private var frames: [Frame] = []
    /// A `$` header was read; its body (and CRLF) has not fully arrived.
    private var pendingBulkLength: Int?
    private var failure: RESPError?
    /// Bytes of the current top-level value consumed so far.
    private var requestBytes = 0
    /// Why the current top-level value is being skipped: it broke a soft limit.
    private var refusal: RESPError?
    /// Body bytes of the current bulk string still to skip.
    private var skipRemaining = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received and not yet consumed by a complete value or header.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the parser holds part of a value (the peer stopped mid-command).
    public var isMidValue: Bool {
        bufferedByteCount > 0 || !frames.isEmpty || pendingBulkLength != nil || skipRemaining > 0
    }

    /// Adds bytes received from the peer.
    ///
    /// - Complexity: O(`bytes.count`) amortized.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete value, or `nil` when more bytes are needed. Empty inline lines
    /// are skipped, as Redis does.
    public mutating func next() throws(RESPError) -> RESPValue? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            if !error.isRecoverable { failure = error }
            throw error
        }
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            // Keep a small buffer for the next reads; give a large one back.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 << 10)
        } else if readIndex >= Self.compactionThreshold && readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(..<readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }

    private mutating func parseNext() throws(RESPError) -> RESPValue? {
        while true {
            var value: RESPValue
            if let length = pendingBulkLength {
                if skipRemaining > 0 {
                    let skipped = min(skipRemaining, buffer.count - readIndex)
                    consume(upTo: readIndex + skipped)
                    skipRemaining -= skipped
                    if skipRemaining > 0 { return nil }
                }
                guard buffer.count - readIndex - 2 >= length else { return nil }
                let end = readIndex + length
                guard buffer[end] == 0x0D, buffer[end + 1] == 0x0A else { throw .missingCRLF }
                value = .bulkString(Array(buffer[readIndex..<end]))
                pendingBulkLength = nil
                consume(upTo: end + 2)
            } else {
                guard readIndex < buffer.count else { return nil }
                if frames.isEmpty { requestBytes = 0 }
                let type = buffer[readIndex]
                let isTyped = Self.isTypeByte(type)
                guard isTyped || frames.isEmpty else { throw .invalidTypeByte(type) }
                let lineLimit =
                    isTyped && type != UInt8(ascii: "+") && type != UInt8(ascii: "-")
                    ? Self.maxNumberLine : limits.maxInlineLength
                guard let newline = findNewline(within: lineLimit + 2) else {
                    guard buffer.count - readIndex < lineLimit + 2 else { throw Self.overlongLine(type, limits) }
                    return nil
                }
                let lineEnd = newline > readIndex && buffer[newline - 1] == 0x0D ? newline - 1 : newline
                guard lineEnd - readIndex <= lineLimit else { throw Self.overlongLine(type, limits) }
                guard isTyped else {
                    let arguments = try Self.splitInline(buffer[readIndex..<lineEnd])
                    consume(upTo: newline + 1)
                    if arguments.isEmpty { continue }
                    return .array(arguments.map { .bulkString($0) })
                }
                guard lineEnd == newline - 1 else { throw .missingCRLF }
                let content = buffer[(readIndex + 1)..<lineEnd]
                consume(upTo: newline + 1)
                if requestBytes > limits.maxRequestLength { refuse(.requestTooLong(limit: limits.maxRequestLength)) }
                guard let parsed = try header(type, content) else { continue }
                value = parsed
            }
            while let top = frames.indices.last {
                frames[top].received += 1
                if refusal == nil { frames[top].elements.append(value) }
                guard frames[top].received == frames[top].count else { break }
                value = .array(frames.removeLast().elements)
            }
            if frames.isEmpty {
                if let refusal {
                    self.refusal = nil
                    throw refusal
                }
                return value
            }
        }
    }

    /// The value a header line stands for, or `nil` when more must be read: a bulk
    /// string's body, an array's elements.
    private mutating func header(_ type: UInt8, _ content: ArraySlice<UInt8>) throws(RESPError) -> RESPValue? {
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(String(decoding: content, as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: content, as: UTF8.self))
        case UInt8(ascii: ":"):
            guard let number = Self.decimal(content) else { throw .invalidInteger(RESPError.render(content)) }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Self.decimal(content), length >= -1 else {
                throw .invalidBulkLength(RESPError.render(content))
            }
            if length == -1 { return .bulkString(nil) }
            guard length <= limits.maxBulkLength else {
                throw .bulkTooLong(length: Int(length), limit: limits.maxBulkLength)
            }
            if length > limits.maxValueLength {
                refuse(.valueTooLong(length: Int(length), limit: limits.maxValueLength))
            } else if Int(length) > limits.maxRequestLength - requestBytes - 2 {
                refuse(.requestTooLong(limit: limits.maxRequestLength))
            }
            if refusal != nil {
                // Skipped as it arrives; only its CRLF is checked, as an empty body's.
                skipRemaining = Int(length)
                pendingBulkLength = 0
            } else {
                pendingBulkLength = Int(length)
            }
            return nil
        default:  // "*"
            guard let count = Self.decimal(content), count >= -1 else {
                throw .invalidMultibulkLength(RESPError.render(content))
            }
            if count == -1 { return .array(nil) }
            if count == 0 { return .array([]) }
            guard count <= limits.maxArrayLength else {
                throw .arrayTooLong(count: Int(count), limit: limits.maxArrayLength)
            }
            guard frames.count < limits.maxDepth else { throw .nestingTooDeep(limit: limits.maxDepth) }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(Int(count), 16))
            frames.append(Frame(count: Int(count), elements: elements))
            return nil
        }
    }

    /// The index of the next `\n` among the `window` bytes from `readIndex`; bytes
    /// already searched for the current line are not searched again.
    private mutating func findNewline(within window: Int) -> Int? {
        let end = min(buffer.count, readIndex + window)
        guard scanIndex < end else { return nil }
        if let newline = buffer[scanIndex..<end].firstIndex(of: 0x0A) { return newline }
        scanIndex = end
        return nil
    }

    private mutating func consume(upTo index: Int) {
        requestBytes += index - readIndex
        readIndex = index
        scanIndex = index
    }

    /// Skips the rest of the current top-level value and answers it with `error` (the
    /// first limit it broke); what was kept of it goes.
    private mutating func refuse(_ error: RESPError) {
        guard refusal == nil else { return }
        refusal = error
        for index in frames.indices { frames[index].elements = [] }
    }

    private static func isTypeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"): true
        default: false
        }
    }

    private static func overlongLine(_ type: UInt8, _ limits: Limits) -> RESPError {
        switch type {
        case UInt8(ascii: "$"): .invalidBulkLength("too long")
        case UInt8(ascii: "*"): .invalidMultibulkLength("too long")
        case UInt8(ascii: ":"): .invalidInteger("too long")
        default: .lineTooLong(limit: limits.maxInlineLength)
        }
    }

    /// The `Int64` written in `digits` in canonical decimal: an optional `-`, then
    /// digits without leading zeros; `nil` for anything else, including overflow.
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        var rest = digits[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        guard let first = rest.first, rest.count <= 19 else { return nil }
        guard first != UInt8(ascii: "0") || (rest.count == 1 && !negative) else { return nil }
        var magnitude: UInt64 = 0
        for byte in rest {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            magnitude = magnitude * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }
}
