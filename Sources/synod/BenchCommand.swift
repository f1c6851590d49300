import ArgumentParser

/// `synod bench`: measurements, not tests. A group, so that each part of the system
/// gets its own subcommand (`bench sim` now; storage and the store later).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Synod's speed. Run in release mode: swift run -c release synod bench ...",
        subcommands: [
            BenchSimCommand.self, BenchCheckerCommand.self, BenchWALCommand.self, BenchKVCommand.self,
            BenchBugsCommand.self,
        ]
    )
}
