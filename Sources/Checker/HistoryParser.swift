/// A malformed history: the 1-based line and what is wrong with it.
public struct HistoryParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Reads histories in JSON Lines, one operation per line, blank lines allowed:
///
/// ```
/// {"client":1,"op":"put","key":"x","value":"5","call":10,"return":20,"status":"ok"}
/// {"client":2,"op":"get","key":"x","value":null,"call":12,"return":18,"status":"ok"}
/// {"client":3,"op":"cas","key":"x","from":"5","to":"6","ok":true,"call":25,"return":40,"status":"ok"}
/// ```
///
/// It is strict, so that a typo cannot silently change what is checked: unknown or
/// repeated fields, fields that do not apply to the op, wrong types, a missing `return`
/// on an `ok` or `fail` operation and a `return` before the `call` are all errors that
/// name their line.
public enum HistoryParser {
    /// The operations of a JSON Lines text, in file order.
    public static func parse(_ text: String) throws(HistoryParseError) -> [HistoryOperation] {
        try parse(bytes: Array(text.utf8))
    }

    /// The operations of JSON Lines bytes (UTF-8), in file order.
    public static func parse(bytes: [UInt8]) throws(HistoryParseError) -> [HistoryOperation] {
        var operations: [HistoryOperation] = []
        var lineStart = 0
        var lineNumber = 0
        // A UTF-8 byte order mark is not part of the first line.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { lineStart = 3 }
        while lineStart < bytes.count || lineNumber == 0 {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let next = lineEnd + 1
            if bytes[lineStart..<lineEnd].contains(where: { !isWhitespace($0) }) {
                let members: [(String, JSONText.Value)]
                do {
                    members = try JSONText.parseObject(bytes, lineStart..<lineEnd)
                } catch {
                    throw HistoryParseError(
                        line: lineNumber, message: "invalid JSON at column \(error.column): \(error.message)")
                }
                operations.append(try operation(members, line: lineNumber))
            }
            lineStart = next
        }
        return operations
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// The operation that one line's object describes.
    static func operation(_ members: [(String, JSONText.Value)], line: Int) throws(HistoryParseError)
        -> HistoryOperation
    {
        var fields = Fields(line: line)
        for (name, value) in members {
            guard let slot = Fields.names.firstIndex(of: name) else {
                throw fields.error("unknown field \(JSONText.quote(name))")
            }
            guard fields.values[slot] == nil else {
                throw fields.error("field \(JSONText.quote(name)) appears twice")
            }
            fields.values[slot] = value
        }

        let opName = try fields.requiredString("op")
        guard let op = HistoryOperation.Kind(rawValue: opName) else {
            throw fields.error("unknown op \(JSONText.quote(opName)) (expected put, get, delete, cas or append)")
        }
        let statusName = try fields.requiredString("status")
        guard let status = HistoryOperation.Status(rawValue: statusName) else {
            throw fields.error("unknown status \(JSONText.quote(statusName)) (expected ok, fail or info)")
        }
        let clientNumber = try fields.requiredInteger("client")
        guard let client = Int(exactly: clientNumber) else {
            throw fields.error("field \"client\" is out of range")
        }
        let key = try fields.requiredString("key")
        let call = try fields.requiredInteger("call")
        let returned: Int64?
        if status == .info {
            returned = try fields.optionalInteger("return")
        } else {
            guard fields.value("return") != nil else {
                throw fields.error(
                    "missing field \"return\" (required when status is \(statusName); only info may omit it)")
            }
            returned = try fields.optionalInteger("return")
            if returned == nil {
                throw fields.error("field \"return\" must be an integer when status is \(statusName), not null")
            }
        }
        if let returned, returned < call {
            throw fields.error("return \(returned) is before call \(call)")
        }

        var operation = HistoryOperation(client: client, op: op, key: key, call: call, return: returned, status: status)
        switch op {
        case .put, .append:
            try fields.reject(["from", "to", "ok"], for: op)
            let what = op == .put ? "the value written" : "the suffix appended"
            guard let value = fields.value("value") else {
                throw fields.error("missing field \"value\" (a \(op.rawValue) carries \(what))")
            }
            guard case .string(let string) = value else {
                throw fields.error("field \"value\" of a \(op.rawValue) must be a string, not \(value.kind)")
            }
            operation.value = string
        case .get:
            try fields.reject(["from", "to", "ok"], for: op)
            if status == .ok, fields.value("value") == nil {
                throw fields.error(
                    "missing field \"value\" (a get that returned ok carries the value read, null when absent)")
            }
            operation.value = try fields.optionalString("value")
        case .delete:
            try fields.reject(["value", "from", "to", "ok"], for: op)
        case .cas:
            try fields.reject(["value"], for: op)
            for name in ["from", "to"] where fields.value(name) == nil {
                throw fields.error(
                    "missing field \(JSONText.quote(name)) (a cas carries from and to, null when absent)")
            }
            operation.from = try fields.optionalString("from")
            operation.to = try fields.optionalString("to")
            if status == .ok, fields.value("ok") == nil {
                throw fields.error("missing field \"ok\" (a cas that returned ok says whether it succeeded)")
            }
            switch fields.value("ok") {
            case nil, .null?:
                if status == .ok { throw fields.error("field \"ok\" must be true or false, not null") }
            case .bool(let flag)?: operation.ok = flag
            case let other?: throw fields.error("field \"ok\" must be true or false, not \(other.kind)")
            }
        }
        return operation
    }

    /// The fields of one line, by name.
    private struct Fields {
        static let names = ["client", "op", "key", "value", "from", "to", "ok", "call", "return", "status"]
        let line: Int
        var values: [JSONText.Value?] = Array(repeating: nil, count: names.count)

        init(line: Int) { self.line = line }

        func error(_ message: String) -> HistoryParseError { HistoryParseError(line: line, message: message) }

        func value(_ name: String) -> JSONText.Value? { values[Self.names.firstIndex(of: name)!] }

        func requiredString(_ name: String) throws(HistoryParseError) -> String {
            switch value(name) {
            case nil: throw error("missing field \(JSONText.quote(name))")
            case .string(let string)?: return string
            case let other?: throw error("field \(JSONText.quote(name)) must be a string, not \(other.kind)")
            }
        }

        func optionalString(_ name: String) throws(HistoryParseError) -> String? {
            switch value(name) {
            case nil, .null?: return nil
            case .string(let string)?: return string
            case let other?: throw error("field \(JSONText.quote(name)) must be a string or null, not \(other.kind)")
            }
        }

        func requiredInteger(_ name: String) throws(HistoryParseError) -> Int64 {
            switch value(name) {
            case nil: throw error("missing field \(JSONText.quote(name))")
            case .integer(let integer)?: return integer
            case let other?: throw error("field \(JSONText.quote(name)) must be an integer, not \(other.kind)")
            }
        }

        func optionalInteger(_ name: String) throws(HistoryParseError) -> Int64? {
            switch value(name) {
            case nil, .null?: return nil
            case .integer(let integer)?: return integer
            case let other?: throw error("field \(JSONText.quote(name)) must be an integer, not \(other.kind)")
            }
        }

        func reject(_ names: [String], for op: HistoryOperation.Kind) throws(HistoryParseError) {
            for name in names where value(name) != nil {
                let owner = name == "value" ? "put, get and append" : "cas"
                throw error("field \(JSONText.quote(name)) does not apply to \(op.rawValue) (only to \(owner))")
            }
        }
    }
}
