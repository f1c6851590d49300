import Raft
import Simulation
import SynodCore

/// Draws samples as text: one lane per server with its role over time, a row under it
/// for its cut links, and the term it reached. Meant for a terminal, 100 columns wide.
///
///     n1 ···········LLLLLLLLLLLLL·····  term 1 → 3
///        ░░░░░░░░░░░░░░░░░
public enum Timeline {
    /// `L` leader, `C` candidate, `p` pre-candidate, `·` follower, `x` down.
    static func glyph(_ role: RaftRole?) -> Character {
        switch role {
        case .leader: "L"
        case .candidate: "C"
        case .preCandidate: "p"
        case .follower: "·"
        case nil: "x"
        }
    }

    public static func render(_ samples: [Sample], servers: [NodeID], window: ScenarioWindow? = nil, width: Int = 100)
        -> [String]
    {
        guard let first = samples.first, let last = samples.last else { return ["(no samples)"] }
        let perColumn = max(1, (samples.count + width - 1) / width)
        let columns = stride(from: 0, to: samples.count, by: perColumn).map { start in
            samples[start..<min(start + perColumn, samples.count)]
        }
        let span = last.time - first.time
        var lines: [String] = []
        lines.append(
            "one column = \(TimeSpan(nanoseconds: (samples.count > 1 ? span.nanoseconds / Int64(samples.count - 1) : 0) * Int64(perColumn))); "
                + "L leader, C candidate, p pre-candidate, · follower, x down; ░ some links cut, █ all cut")
        // Time axis with a mark every second, and the fault window.
        var axis = ""
        var marks = ""
        for column in columns {
            let t = column.first!.time
            let startsSecond = column.contains { $0.time.nanoseconds % 1_000_000_000 == 0 }
            axis.append(startsSecond ? "|" : " ")
            if let window {
                marks.append(t >= window.start && t < window.end ? "~" : " ")
            }
        }
        lines.append("      " + axis + "  seconds: 0 to \(last.time.nanoseconds / 1_000_000_000)")
        if window != nil { lines.append("      " + marks + "  faults") }
        for (slot, id) in servers.enumerated() {
            var lane = ""
            var links = ""
            for column in columns {
                // The most telling role in the column: leader, then candidate, pre-candidate, down, follower.
                let roles = column.map { $0.roles[slot] }
                let role: RaftRole?? =
                    roles.contains(.leader)
                    ? .leader
                    : roles.contains(.candidate)
                        ? .candidate
                        : roles.contains(.preCandidate)
                            ? .preCandidate
                            : roles.contains(where: { $0 == nil }) ? .some(nil) : .follower
                lane.append(glyph(role ?? .follower))
                let cut = column.map { $0.cutLinks[slot] }.max() ?? 0
                links.append(cut == 0 ? " " : cut >= servers.count - 1 ? "█" : "░")
            }
            let label = "\(id)"
            let name = label + String(repeating: " ", count: max(1, 5 - label.count))
            lines.append(" \(name)\(lane)  term \(first.terms[slot]) → \(last.terms[slot])")
            if links.contains(where: { $0 != " " }) { lines.append("      " + links) }
        }
        return lines
    }
}
