import Foundation
import SynodServer
import Testing

/// A peer link cut without a reset (a firewall dropping packets, a dead switch port) on
/// real `synod serve` processes. TCP alone notices such a cut only when its
/// retransmission timer gives up or fires after the heal, tens of seconds later; the
/// servers must notice the silence themselves, close the link, and dial it again.
@Suite(.serialized) struct SilentLinkTests {
    /// Long enough for TCP's own backoff to reach several seconds, short enough for CI.
    static let cutSeconds = 6.0

    @Test func followerCutOffSilentlyIsBackWithinASecondOfTheHeal() throws {
        let cluster = try ProxiedCluster.launch()
        defer { cluster.stop() }
        let leader = try #require(cluster.leader(), "no leader\n\(cluster.logTails())").id
        let follower = try #require(cluster.ids.first { $0 != leader })
        let writer = try #require(cluster.client(leader, timeout: 2), "the leader takes no connection")
        #expect(try writer.call("SET", "before", "cut") == .ok)
        let caughtUp = poll(timeout: 5) { () -> Bool? in
            guard let lead = cluster.status(leader), let follows = cluster.status(follower) else { return nil }
            return follows.applied >= lead.commit ? true : nil
        }
        try #require(caughtUp == true, "the follower never caught up before the cut\n\(cluster.logTails())")

        cluster.cut(follower)
        let cutAt = monotonicNow()
        // The leader keeps its majority: writes go on while the follower hears nothing.
        var acknowledged = 0
        while seconds(since: cutAt) < Self.cutSeconds {
            if (try? writer.call("SET", "during-cut-\(acknowledged)", "x")) == .ok { acknowledged += 1 }
            usleep(50_000)
        }
        #expect(acknowledged > 0, "the leader took no write during the cut")
        #expect(
            cluster.metric(leader, "synod_peers_connected") == 1,
            "the leader still counts the cut link\n\(cluster.logTails())")
        let target = try #require(cluster.status(leader), "the leader does not answer").commit
        let behind = try #require(cluster.status(follower), "the follower does not answer")
        #expect(behind.applied < target, "the cut follower applied what it cannot have heard of")

        cluster.heal(follower)
        let healedAt = monotonicNow()
        let rejoined = poll(timeout: 15) { () -> Double? in
            guard let status = cluster.status(follower), status.role == "follower", status.applied >= target else {
                return nil
            }
            return seconds(since: healedAt)
        }
        let figure = rejoined.map { String(format: "%.3f s", $0) } ?? "not within 15 s"
        print("SilentLink: follower \(follower) cut off for \(Self.cutSeconds) s, back \(figure) after the heal")
        let back = try #require(rejoined, "the follower is not back 15 s after the heal\n\(cluster.logTails())")
        #expect(back <= 1.0, "the follower took \(back) s to rejoin after the heal\n\(cluster.logTails())")

        let counted = poll(timeout: 2) { cluster.metric(leader, "synod_peers_connected") == 2 ? true : nil }
        #expect(counted == true, "the leader does not count the healed link")
        #expect(cluster.metric(leader, "synod_peer_silent_closes_total").map { $0 >= 1 } == true)
        let warnings = cluster.log(leader).split(separator: "\n").filter {
            $0.contains("warning") && $0.contains("peer n\(follower) sent nothing")
        }
        #expect(warnings.count == 1, "one warning per outage, got:\n\(warnings.joined(separator: "\n"))")
    }
}
