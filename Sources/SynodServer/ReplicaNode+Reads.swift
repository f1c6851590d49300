import Raft
import SynodCore

/// Reads wait for a linearizable read point (ReadIndex or a lease on the leader,
/// ReadIndex asked of the leader on a follower), then for the machine to apply that far.
extension ReplicaNode {
    /// Runs `query` on the machine at a linearizable point and passes its result to
    /// `done`, or nil when no read point came before the request timeout.
    func read<Result>(_ query: @escaping (Machine) -> Result, done: @escaping (Result?) -> Void) {
        loop.preconditionInEventLoop()
        let id = nextReadID
        nextReadID += 1
        reads[id] = Read(deadline: clock.now() + configuration.requestTimeout) { machine in done(machine.map(query)) }
        askReadPoint(id)
    }

    private func askReadPoint(_ id: UInt64) {
        let confirmation = configuration.readConfirmation
        step { node, now, out in node.read(id, confirmation: confirmation, at: now, into: &out) }
    }

    func readPointsReleased() {
        readyReads.append(contentsOf: output.reads)
        for id in output.failedReads {
            guard let read = reads[id] else { continue }
            if clock.now() >= read.deadline {
                reads.removeValue(forKey: id)
                read.serve(nil)
            } else {
                loop.assumeIsolated().scheduleTask(in: .nanoseconds(Self.retryPause.nanoseconds)) { [self] in
                    if reads[id] != nil { askReadPoint(id) }
                }
            }
        }
        serveReadyReads()
    }

    func serveReadyReads() {
        guard !readyReads.isEmpty else { return }
        let applied = state.appliedIndex
        var kept: [ReadState] = []
        for point in readyReads {
            guard point.index <= applied else {
                kept.append(point)
                continue
            }
            reads.removeValue(forKey: point.id)?.serve(state.machine)
        }
        readyReads = kept
    }
}
