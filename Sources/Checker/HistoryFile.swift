import Foundation

/// A history file that could not be read or written (missing, a directory, no permission).
public struct HistoryFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

extension History {
    /// Reads a JSON Lines history from a file (`-` reads standard input).
    ///
    /// Throws `HistoryFileError` when the file cannot be read and `HistoryParseError`
    /// (naming the line) when its content is malformed.
    public init(contentsOfFile path: String) throws {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw HistoryFileError(path: path, reason: "no such file")
            }
            guard !isDirectory.boolValue else {
                throw HistoryFileError(path: path, reason: "is a directory")
            }
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw HistoryFileError(path: path, reason: "cannot be read (\(error.localizedDescription))")
            }
        }
        operations = try HistoryParser.parse(bytes: [UInt8](data))
    }

    /// Writes the history as JSON Lines, replacing the file.
    public func write(toFile path: String) throws {
        do {
            try Data(jsonLines.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw HistoryFileError(path: path, reason: "cannot be written (\(error.localizedDescription))")
        }
    }
}
