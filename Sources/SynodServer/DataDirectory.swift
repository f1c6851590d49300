import Foundation
import SynodCore

/// A server's data directory and the identity written into it at bootstrap. A server
/// refuses a directory of another cluster or node, and refuses an empty one unless told
/// that the cluster is new: a member whose data was wiped must not rejoin under its old
/// id, since it would have forgotten its vote and the entries it acknowledged.
enum DataDirectory {
    static let identityFile = "identity"

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
