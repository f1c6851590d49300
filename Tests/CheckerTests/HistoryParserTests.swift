import Checker
import Testing

/// The JSON Lines format: what it accepts, how it says what is wrong, and that writing
/// a history and reading it back gives the same history.
@Suite struct HistoryParserTests {
    @Test func theIssuesExampleLineParses() throws {
        let operations = try HistoryParser.parse(
            #"{"client":1,"op":"put","key":"x","value":"5","call":10,"return":20,"status":"ok"}"#)
        #expect(
            operations == [
                HistoryOperation(client: 1, op: .put, key: "x", value: "5", call: 10, return: 20, status: .ok)
            ])
    }

    @Test func everyOpAndStatusParses() throws {
        let text = """
            {"client":1,"op":"get","key":"x","value":null,"call":0,"return":5,"status":"ok"}

            {"client":2,"op":"cas","key":"x","from":null,"to":"a","ok":true,"call":1,"return":6,"status":"ok"}
              {"status":"info","call":7,"key":"x","op":"append","value":"b","client":3}
            {"client":4,"op":"delete","key":"y","call":8,"return":9,"status":"fail"}
            {"client":5,"op":"cas","key":"y","from":"a","to":null,"call":8,"status":"info","return":null}
            """
        let operations = try HistoryParser.parse(text)
        #expect(operations.count == 5)
        #expect(operations[0] == HistoryOperation(client: 1, op: .get, key: "x", call: 0, return: 5, status: .ok))
        #expect(operations[1].from == nil && operations[1].to == "a" && operations[1].ok == true)
        #expect(operations[2].return == nil && operations[2].status == .info && operations[2].value == "b")
        #expect(operations[3].op == .delete && operations[3].status == .fail)
        #expect(operations[4].ok == nil && operations[4].to == nil && operations[4].from == "a")
    }

    @Test func escapesAndUnicodeRoundTrip() throws {
        let value = "quote \" backslash \\ newline \n tab \t bell \u{07} é 🦊"
        let operation = HistoryOperation(
            client: 7, op: .put, key: "k\"ey", value: value, call: -5, return: 0, status: .ok)
        let parsed = try HistoryParser.parse(operation.jsonLine)
        #expect(parsed == [operation])
        #expect(
            try HistoryParser.parse(
                #"{"client":1,"op":"put","key":"\u00e9\ud83e\udd8a","value":"\/","call":1,"return":2,"status":"ok"}"#)[
                    0
                ].key == "é🦊")
    }

    @Test func writingThenParsingGivesTheSameHistory() throws {
        let history = HistoryGenerator.history(
            HistoryGenerator.Options(operations: 500, keys: 3, clients: 4, infoRate: 0.1, failRate: 0.1), seed: 7)
        let text = history.jsonLines
        #expect(try History(parsing: text) == history)
        // Field order is stable: writing again gives the same text.
        #expect(try History(parsing: text).jsonLines == text)
    }

    @Test func writtenLinesUseTheDocumentedFieldOrder() {
        let cas = HistoryOperation(
            client: 3, op: .cas, key: "x", from: "1", to: nil, ok: false, call: 4, return: 9, status: .ok)
        #expect(
            cas.jsonLine
                == #"{"client":3,"op":"cas","key":"x","from":"1","to":null,"ok":false,"call":4,"return":9,"status":"ok"}"#
        )
        let read = HistoryOperation(client: 1, op: .get, key: "x", call: 1, return: 2, status: .ok)
        #expect(read.jsonLine == #"{"client":1,"op":"get","key":"x","value":null,"call":1,"return":2,"status":"ok"}"#)
        let unknown = HistoryOperation(client: 1, op: .delete, key: "x", call: 1, return: nil, status: .info)
        #expect(unknown.jsonLine == #"{"client":1,"op":"delete","key":"x","call":1,"status":"info"}"#)
    }

    /// The error for one bad line placed third, after two good ones and a blank line.
    static func error(for line: String) -> HistoryParseError? {
        let text = """
            {"client":1,"op":"put","key":"x","value":"1","call":0,"return":1,"status":"ok"}

            \(line)
            {"client":1,"op":"put","key":"x","value":"1","call":0,"return":1,"status":"ok"}
            """
        do {
            _ = try HistoryParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        (#"{"client":1,"op":"put","key":"x","value":"1","call":0,"return":1,"status":"ok""#, "invalid JSON"),
        (#"not json"#, "invalid JSON at column 1"),
        (#"{"client":1,"op":"inc","key":"x","call":0,"return":1,"status":"ok"}"#, #"unknown op "inc""#),
        (#"{"client":1,"op":"get","key":"x","value":null,"call":0,"status":"ok"}"#, #"missing field "return""#),
        (#"{"client":1,"op":"get","key":"x","value":null,"call":0,"return":null,"status":"fail"}"#, "not null"),
        (#"{"client":1,"op":"get","key":"x","call":0,"return":1,"status":"ok"}"#, #"missing field "value""#),
        (#"{"client":"1","op":"get","key":"x","value":null,"call":0,"return":1,"status":"ok"}"#, "must be an integer"),
        (#"{"client":1,"op":"get","key":"x","value":null,"call":0.5,"return":1,"status":"ok"}"#, "the number 0.5"),
        (
            #"{"client":1,"op":"get","key":"x","value":null,"call":5,"return":1,"status":"ok"}"#,
            "return 1 is before call 5"
        ),
        (#"{"client":1,"op":"get","key":"x","value":null,"call":0,"return":1,"status":"done"}"#, "unknown status"),
        (#"{"client":1,"op":"put","key":"x","call":0,"return":1,"status":"ok"}"#, #"missing field "value""#),
        (#"{"client":1,"op":"put","key":"x","value":null,"call":0,"return":1,"status":"ok"}"#, "must be a string"),
        (
            #"{"client":1,"op":"cas","key":"x","to":"1","ok":true,"call":0,"return":1,"status":"ok"}"#,
            #"missing field "from""#
        ),
        (
            #"{"client":1,"op":"cas","key":"x","from":"0","to":"1","call":0,"return":1,"status":"ok"}"#,
            #"missing field "ok""#
        ),
        (
            #"{"client":1,"op":"delete","key":"x","value":"1","call":0,"return":1,"status":"ok"}"#,
            "does not apply to delete"
        ),
        (
            #"{"client":1,"op":"get","key":"x","value":null,"call":0,"return":1,"status":"ok","extra":1}"#,
            #"unknown field "extra""#
        ),
        (
            #"{"client":1,"client":2,"op":"get","key":"x","value":null,"call":0,"return":1,"status":"ok"}"#,
            "appears twice"
        ),
        (#"["client"]"#, "expected a JSON object"),
        (#"{"client":1,"op":"put","key":"x","value":"1","call":0,"return":1,"status":"ok"} x"#, "unexpected text"),
    ])
    func aMalformedLineIsNamedByNumber(line: String, expected: String) throws {
        let error = try #require(Self.error(for: line), "accepted: \(line)")
        #expect(error.line == 3)
        #expect(error.message.contains(expected), "\(error)")
        #expect(error.description.hasPrefix("line 3: "))
    }

    @Test func anEmptyTextIsAnEmptyHistory() throws {
        #expect(try HistoryParser.parse("").isEmpty)
        #expect(try HistoryParser.parse("\n  \n\r\n").isEmpty)
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let line = #"{"client":1,"op":"delete","key":"x","call":0,"return":1,"status":"ok"}"#
        #expect(try HistoryParser.parse(line + "\r\n" + line + "\r\n").count == 2)
    }
}
