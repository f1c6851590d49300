import Dispatch
import Synchronization

/// Runs `count` independent jobs on every core and returns their results in index
/// order, so output never depends on which core finished first.
func parallelMap<T: Sendable>(_ count: Int, _ job: @Sendable (Int) -> T) -> [T] {
    let state = Mutex((next: 0, results: [T?](repeating: nil, count: count)))
    DispatchQueue.concurrentPerform(iterations: min(processorCount(), max(count, 1))) { _ in
        while let index = state.withLock({ s -> Int? in
            guard s.next < count else { return nil }
            defer { s.next += 1 }
            return s.next
        }) {
            let result = job(index)
            state.withLock { $0.results[index] = result }
        }
    }
    return state.withLock { $0.results.map { $0! } }
}
