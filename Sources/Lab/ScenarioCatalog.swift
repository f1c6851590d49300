import Raft
import Simulation
import SynodCore

/// The scenarios Synod knows, in the order `synod scenario list` prints them.
public enum ScenarioCatalog {
    public static let all: [Scenario] = [
        partialPartition, quorumLoss, constrainedElection, switchFailure, disruptiveRejoin, oneWayLink,
        minorityPartition, leaderIsolated, flappingLink,
    ]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// Howard & Abraham (2020), example 1.
    static let partialPartition = Scenario(
        name: "partial-partition",
        story: """
            Servers 1, 2, 3 are fully connected and 3 leads; 4 reaches only 2, and 5 reaches \
            only 3. 4 and 5 time out, raise their terms through 2 and 3, and depose every \
            leader that cannot reach them: plain Raft never settles. PreVote fixes it, since \
            4 and 5 cannot win a majority of pre-votes (Howard & Abraham 2020, example 1).
            """,
        electableMajority: true
    ) { sim, _ in
        let three = sim.leaderOrFirst
        let rest = sim.others(than: three)
        let (one, two, four, five) = (rest[0], rest[1], rest[2], rest[3])
        for peer in [one, three, five] { sim.disconnect(four, peer) }
        for peer in [one, two] { sim.disconnect(five, peer) }
    }

    /// Howard & Abraham (2020), example 2.
    static let quorumLoss = Scenario(
        name: "quorum-loss",
        story: """
            Servers 1, 2, 3 are connected; 4 leads but now reaches only 2; 5 is down. 4 cannot \
            commit, yet 2 still hears it, so with PreVote alone 2 refuses the pre-votes of 1 and \
            3 and nobody can be elected. CheckQuorum makes 4 step down; then 2 pre-votes and a \
            server connected to the majority wins (Howard & Abraham 2020, example 2).
            """,
        electableMajority: true
    ) { sim, _ in
        let four = sim.leaderOrFirst
        let rest = sim.others(than: four)
        let (one, two, three, five) = (rest[0], rest[1], rest[2], rest[3])
        sim.crash(five)
        sim.disconnect(four, one)
        sim.disconnect(four, three)
        _ = two
    }

    /// A connected majority exists only through a server whose log is behind.
    static let constrainedElection = Scenario(
        name: "constrained-election",
        story: """
            One follower is cut off for half a second and falls behind; then the leader \
            crashes and the network becomes a star with the stale follower at its centre: every \
            other server reaches only it. The only server that can reach a majority has a stale \
            log, and the election restriction (§5.4.1) rightly refuses it; no configuration can \
            elect a leader until the network heals.
            """,
        electableMajority: false
    ) { sim, window in
        let leader = sim.leaderOrFirst
        let hub = sim.others(than: leader)[0]
        sim.isolate(hub)
        sim.run(until: window.start + .milliseconds(500))
        // The leader crashes, and the network becomes a star around the stale server.
        sim.crash(leader)
        for peer in sim.others(than: hub) { sim.reconnect(hub, peer) }
        let leaves = sim.others(than: hub)
        for (i, a) in leaves.enumerated() {
            for b in leaves[(i + 1)...] { sim.disconnect(a, b) }
        }
    }

    /// The Cloudflare outage of 2 November 2020.
    static let switchFailure = Scenario(
        name: "switch-failure",
        story: """
            A partially failed switch cuts some of one follower's links, both ways, for a \
            long time: it still reaches two servers but not the leader. In plain Raft it \
            times out again and again and its rising term deposes leaders that a majority \
            can reach (Cloudflare, November 2020: etcd without a stable leader for hours).
            """,
        electableMajority: true
    ) { sim, _ in
        let leader = sim.leaderOrFirst
        let rest = sim.others(than: leader)
        let victim = rest[0]
        sim.disconnect(victim, leader)
        sim.disconnect(victim, rest[1])
    }

    /// Term inflation by a server that rejoins after a long isolation.
    static let disruptiveRejoin = Scenario(
        name: "disruptive-rejoin",
        story: """
            A follower is isolated for nine seconds, then rejoins a healthy cluster. In plain \
            Raft it kept timing out and raising its term, and its first message deposes the \
            healthy leader; with PreVote its term never moved (Kafka's KRaft hit this; \
            KIP-996 added pre-vote).
            """,
        electableMajority: true
    ) { sim, window in
        let leader = sim.leaderOrFirst
        let victim = sim.others(than: leader)[0]
        sim.isolate(victim)
        sim.run(until: window.end - .seconds(1))
        for peer in sim.others(than: victim) { sim.reconnect(victim, peer) }
    }

    /// A follower cannot hear the leader, but the leader hears it.
    static let oneWayLink = Scenario(
        name: "one-way-link",
        story: """
            Messages from the leader to one follower are lost; the other direction works. \
            The follower times out; in plain Raft its vote requests, which still get through, \
            raise everyone's term and depose the leader, again and again if the leader is \
            re-elected.
            """,
        electableMajority: true
    ) { sim, _ in
        let leader = sim.leaderOrFirst
        sim.cut(from: leader, to: sim.others(than: leader)[0])
    }

    /// The leader and one follower on the minority side.
    static let minorityPartition = Scenario(
        name: "minority-partition",
        story: """
            The leader and one follower are partitioned from the other three. The majority \
            side elects a new leader and carries on; the old leader can no longer commit. \
            With CheckQuorum it steps down instead of accepting requests it cannot serve.
            """,
        electableMajority: true
    ) { sim, _ in
        let leader = sim.leaderOrFirst
        let rest = sim.others(than: leader)
        sim.partition([leader, rest[0]], Array(rest[1...]))
    }

    /// The leader loses every link.
    static let leaderIsolated = Scenario(
        name: "leader-isolated",
        story: """
            The leader loses every link, both ways. The other four elect a new leader after \
            an election timeout; the old one keeps believing it leads unless CheckQuorum \
            makes it step down.
            """,
        electableMajority: true
    ) { sim, _ in
        sim.isolate(sim.leaderOrFirst)
    }

    /// A link that keeps failing and recovering.
    static let flappingLink = Scenario(
        name: "flapping-link",
        story: """
            The link between the leader and one follower fails for 250 ms, works for 100 ms, \
            and so on. Each outage is longer than an election timeout, so in plain Raft the \
            follower campaigns every time and deposes the leader when the link returns.
            """,
        electableMajority: true
    ) { sim, window in
        let leader = sim.leaderOrFirst
        let victim = sim.others(than: leader)[0]
        while sim.now < window.end - .milliseconds(350) {
            sim.disconnect(leader, victim)
            sim.run(for: .milliseconds(250))
            sim.reconnect(leader, victim)
            sim.run(for: .milliseconds(100))
        }
    }
}
