import Foundation

/// Waits for SIGTERM or SIGINT on a thread of its own. The signals are blocked in every
/// thread first (threads created later inherit the mask), so the process's default
/// reaction, dying on the spot, never happens, and `sigwait` receives them instead.
/// Must be started before any other thread exists.
enum SignalWaiter {
    static func start(_ handler: @escaping @Sendable (Int32) -> Void) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let blocked = set
        let thread = Thread {
            var received: Int32 = 0
            var waitSet = blocked
            while sigwait(&waitSet, &received) != 0 {}
            handler(received)
        }
        thread.name = "synod-signals"
        thread.start()
    }
}
