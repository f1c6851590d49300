import Foundation
import SynodCore

/// A server's data directory and the identity written into it at bootstrap. A server
/// refuses a directory of another cluster or node, and refuses an empty one unless told
/// that the cluster is new: a member whose data was wiped must not rejoin under its old
/// id, since it would have forgotten its vote and the entries it acknowledged.
enum DataDirectory {
    static let identityFile = "identity"

    /// What a start that fails must remove so that it leaves no half-initialized
    /// directory behind (a later start would take it for a member's wiped data).
    enum Leftovers {
        /// The directory did not exist: remove it.
        case directory
        /// The directory existed but was empty: empty it again.
        case contents
    }

    /// What `prepare` is about to create in `configuration`'s directory: nil when the
    /// directory already belongs to a server (then a failed start removes nothing).
    static func leftovers(of configuration: ServerConfiguration) -> Leftovers? {
        let directory = configuration.dataDirectory
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory) else { return .directory }
        let entries = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
        return entries.isEmpty ? .contents : nil
    }

    /// Removes what a failed start created, as `leftovers(of:)` found it before.
    static func remove(_ leftovers: Leftovers?, of configuration: ServerConfiguration) {
        let directory = configuration.dataDirectory
        let manager = FileManager.default
        switch leftovers {
        case .directory?:
            try? manager.removeItem(atPath: directory)
        case .contents?:
            for entry in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
                try? manager.removeItem(atPath: directory + "/" + entry)
            }
        case nil:
            break
        }
    }

    /// Checks (or, with `bootstrap`, creates) the identity of `configuration`'s directory.
    static func prepare(_ configuration: ServerConfiguration, bootstrap: Bool) throws(ServerError) {
        let directory = configuration.dataDirectory
        let path = directory + "/" + identityFile
        let expected = "cluster=\(configuration.clusterID)\nnode=\(configuration.id.rawValue)\n"
        let manager = FileManager.default
        if let data = manager.contents(atPath: path) {
            guard let text = String(data: data, encoding: .utf8), text == expected else {
                let found = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
                throw .dataDirectory(
                    "\(directory) belongs to another server (\(found.trimmingCharacters(in: .whitespaces))); "
                        + "this is cluster \(configuration.clusterID), node \(configuration.id.rawValue)")
            }
            return
        }
        let entries = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
        if !entries.isEmpty {
            throw .dataDirectory(
                "\(directory) is not empty but has no \(identityFile) file: not a Synod data directory")
        }
        guard bootstrap else {
            throw .dataDirectory(
                "\(directory) holds no data. If \(configuration.id) was a member before, its data was wiped: rejoining "
                    + "under the same id could make it vote twice or forget acknowledged entries. Start it with "
                    + "--bootstrap only when the whole cluster is new.")
        }
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(expected.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .dataDirectory("cannot create \(path): \(error)")
        }
    }
}
