import KV

/// What `CONFIG GET` answers: the few Redis parameters that describe Synod truthfully,
/// so that tools which read them at start (`redis-benchmark` asks for `save` and
/// `appendonly`) find answers instead of printing a warning. Synod cannot be configured
/// through RESP, so `CONFIG SET` stays unknown.
enum ConfigParameters {
    /// Sorted by name. Every write is in the write-ahead log and synced before it is
    /// acknowledged (`appendonly yes`, `appendfsync always`); there are no RDB save
    /// points and one database.
    static let all: [(name: String, value: String)] = [
        ("appendfsync", "always"), ("appendonly", "yes"), ("databases", "1"), ("save", ""),
    ]

    /// Name/value pairs for each parameter that any pattern matches (case-insensitively,
    /// as Redis compares names), each parameter once, in the table's order.
    static func reply(to patterns: [String]) -> RESPValue {
        let matchers = patterns.map { KeyPattern($0.lowercased()) }
        var reply: [RESPValue] = []
        for parameter in all where matchers.contains(where: { $0.matches(Array(parameter.name.utf8)) }) {
            reply += [.bulk(parameter.name), .bulk(parameter.value)]
        }
        return .array(reply)
    }
}
