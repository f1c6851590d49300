import ArgumentParser
import Storage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `synod wal`: tools for a replica's Write-Ahead Log directory.
struct WALCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "Look inside a Write-Ahead Log directory.",
        subcommands: [WALInspectCommand.self]
    )
}

/// `synod wal inspect DIR`: what a WAL directory holds and whether any of it is
/// damaged, without opening it for writing: the directory is never modified.
///
/// Exit codes: 0 when clean, 1 when damage was found (each finding names the file and
/// byte offset), 2 when DIR does not exist or is not a directory.
struct WALInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a WAL directory's segments, index ranges, hard state, snapshot and any damage.",
        discussion: """
            Reads every file and checks every record's checksum; writes nothing. Exits 0 when the \
            directory is clean, 1 when it finds damage (each finding names the file and the byte \
            offset of the damaged record), 2 when DIR does not exist or is not a directory.
            """
    )

    @Argument(help: "The WAL directory.")
    var directory: String

    func run() throws {
        var status = stat()
        guard stat(directory, &status) == 0 else {
            let reason = errno == ENOENT ? "no such directory" : "cannot read it (errno \(errno))"
            try Self.fail("\(directory): \(reason)")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { try Self.fail("\(directory): not a directory") }
        let inspection = FileStorage.inspect(directory: directory)
        var output = StandardStream.output
        let report = inspection.render()
        print(report, terminator: report.hasSuffix("\n") ? "" : "\n", to: &output)
        if !inspection.isClean { throw ExitCode(1) }
    }

    private static func fail(_ message: String) throws -> Never {
        var standardError = StandardStream.error
        print("synod wal inspect: \(message)", to: &standardError)
        throw ExitCode(2)
    }
}
