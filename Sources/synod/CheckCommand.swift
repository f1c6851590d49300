import ArgumentParser
import Checker

/// `synod check FILE`: is a recorded history linearizable?
///
/// Exit codes: 0 linearizable, 1 not (the key, the operations that cannot be ordered
/// and why), 2 when the file cannot be read or is malformed (naming the line).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a key-value history (JSON Lines) is linearizable.",
        discussion: """
            One operation per line, for example:

            {"client":1,"op":"put","key":"x","value":"5","call":1,"return":2,"status":"ok"}

            op is put, get, delete, cas or append; get carries the value read (null when absent); \
            cas carries from, to and ok; status is ok, fail (certainly not applied) or info (unknown: \
            may take effect at any point after its call, or never; may omit return). Times are integers \
            and intervals are closed. Exits 0 when linearizable, 1 when not, 2 on a malformed or \
            unreadable file.
            """
    )

    @Argument(help: "The history file (JSON Lines), or - for standard input.")
    var file: String

    func run() throws {
        let history: History
        do {
            history = try History(contentsOfFile: file)
        } catch let error as HistoryParseError {
            var standardError = StandardStream.error
            print("synod check: \(file): \(error)", to: &standardError)
            throw ExitCode(2)
        } catch {
            var standardError = StandardStream.error
            print("synod check: \(error)", to: &standardError)
            throw ExitCode(2)
        }
        let report = LinearizabilityChecker.check(history)
        var output = StandardStream.output
        guard let violation = report.violation else {
            print("linearizable: \(report.operations) operations, \(report.keys) keys", to: &output)
            return
        }
        print("not linearizable: key \(violation.key.debugDescription)", to: &output)
        print("operations that cannot be ordered:", to: &output)
        for operation in violation.operations {
            print(operation.jsonLine, to: &output)
        }
        print(violation.explanation, to: &output)
        throw ExitCode(1)
    }
}
