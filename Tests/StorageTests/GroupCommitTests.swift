import Foundation
import Synchronization
import SynodCore
import Testing

@testable import Storage

@Suite("Group commit")
struct GroupCommitTests {
    @Test("12 threads appending at once share fdatasyncs; every entry is durable and contiguous")
    func concurrentAppenders() throws {
        try withTemporaryDirectory { directory in
            let threads = 12
            let perThread = 150
            let (storage, _) = try FileStorage.open(directory: directory, options: smallSegments(16 << 10))
            let failures = Mutex<[String]>([])
            runOnThreads(threads) { thread in
                for number in 0..<perThread {
                    do throws(StorageError) {
                        let ticket = try storage.enqueue { next in
                            [
                                LogEntry(
                                    term: 1, index: next,
                                    data: [UInt8(thread), UInt8(number >> 8), UInt8(number & 0xFF)])
                            ]
                        }
                        let durable = try storage.waitDurable(ticket)
                        if durable.lastIndex < ticket.lastIndex { failures.withLock { $0.append("short durable") } }
                    } catch {
                        failures.withLock { $0.append("thread \(thread): \(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            let appends = threads * perThread
            #expect(storage.syncCount < appends, "\(storage.syncCount) syncs for \(appends) appends")
            storage.close()

            let recovered = try FileStorage.open(directory: directory, options: smallSegments(16 << 10)).1
            #expect(recovered.entries.count == appends)
            #expect(recovered.entries.map(\.index) == (1...UInt64(appends)).map { LogIndex($0) })
            // Each thread's records are all there, in its own order.
            for thread in 0..<threads {
                let mine = recovered.entries.filter { $0.data[0] == UInt8(thread) }.map {
                    Int($0.data[1]) << 8 | Int($0.data[2])
                }
                #expect(mine == Array(0..<perThread), "thread \(thread)")
            }
        }
    }

    @Test("a lone appender syncs once per waitDurable and leads its own sync")
    func loneAppender() throws {
        try withTemporaryDirectory { directory in
            let (storage, _) = try FileStorage.open(directory: directory)
            for index in 1...20 {
                let ticket = try storage.enqueue { next in [entry(next.rawValue)] }
                #expect(ticket.lastIndex == LogIndex(UInt64(index)))
                _ = try storage.waitDurable(ticket)
            }
            #expect(storage.syncCount == 20)
        }
    }
}

/// Runs `body(0..<count)` on `count` OS threads at once (each blocks in fdatasync, so a
/// pool sized to the cores would serialize them) and returns when all are done.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for number in 0..<count {
        group.enter()
        let thread = Thread {
            body(number)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}
