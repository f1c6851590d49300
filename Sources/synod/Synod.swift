import ArgumentParser

/// The `synod` command line: `synod sim` runs seeded simulations of a Raft cluster and
/// checks them; `synod bench` measures.
///
/// Exit codes: 0 when clean, 1 when a run found a violation, 2 on bad arguments.
@main
struct Synod: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synod",
        abstract: "Patterns of Distributed Systems in Swift: consensus, a deterministic simulator, checkers.",
        subcommands: [
            SimCommand.self, ScenarioCommand.self, CompareCommand.self, CheckCommand.self, BenchCommand.self,
            WALCommand.self,
            ServeCommand.self, ClusterCommand.self, KVClientCommand.self,
        ]
    )

    /// ArgumentParser exits with 64 (`EX_USAGE`) on bad arguments; `synod` promises 2,
    /// so usage errors are printed as ArgumentParser words them and then mapped.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                var standardError = StandardStream.error
                print(fullMessage(for: error), to: &standardError)
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
