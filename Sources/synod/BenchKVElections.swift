import SynodServer

/// The cluster's highest term and its leader, read from `SYNOD.STATUS` before and after
/// the load: each term the load added is an election (a campaign that got past its
/// pre-vote), the figure the server's timing defaults are chosen by (docs/protocol.md).
struct BenchKVElections {
    var termBefore: Int?
    var leaderBefore: Int?
    var termAfter: Int?
    var leaderAfter: Int?

    /// Elections during the load, or nil when a reading is missing.
    var count: Int? {
        guard let termBefore, let termAfter else { return nil }
        return termAfter - termBefore
    }

    /// The highest term any server at `ports` reports, and the leader that server names.
    static func observe(ports: [Int]) -> (term: Int, leader: Int?)? {
        var highest: (term: Int, leader: Int?)?
        for port in ports {
            guard let client = try? RESPClient(host: "127.0.0.1", port: port, timeout: 1),
                case .bulkString(let bytes?)? = try? client.call("SYNOD.STATUS")
            else { continue }
            var fields: [Substring: Substring] = [:]
            for field in String(decoding: bytes, as: UTF8.self).split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let term = fields["term"].flatMap({ Int($0) }) else { continue }
            if term > highest?.term ?? -1 { highest = (term, fields["leader"].flatMap { Int($0) }) }
        }
        return highest
    }

    /// One line for the table: the count and the readings it comes from.
    var text: String {
        func leader(_ id: Int?) -> String { id.map { "n\($0)" } ?? "none" }
        guard let count, let termBefore, let termAfter else {
            return "elections during the load: unknown (no server answered SYNOD.STATUS)"
        }
        return "elections during the load: \(count) (term \(termBefore) → \(termAfter), "
            + "leader \(leader(leaderBefore)) → \(leader(leaderAfter)))"
    }
}
