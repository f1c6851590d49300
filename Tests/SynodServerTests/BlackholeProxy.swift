import Foundation

/// A TCP proxy on 127.0.0.1 that can cut its link silently, as a firewall rule that
/// drops packets does: once cut, every connection through it (and every connection
/// accepted while the cut lasts) stays open, has whatever it is sent read and
/// discarded, and delivers nothing, in either direction, forever. Nothing is closed or
/// reset on the servers' behalf. `heal` lets new connections through again; the
/// blackholed ones stay dead, so a server that does not notice the silence on its own
/// never gets its link back.
///
/// One thread polls every socket; sockets are blocking, and a read happens only once
/// poll says there is something to read.
final class BlackholeProxy: @unchecked Sendable {
    /// The port the proxy listens on.
    let port: Int
    let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var isCut = false
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Both ends of one proxied connection; `upstream` is -1 once closed or never opened.
    private struct Pair {
        var client: Int32
        var upstream: Int32
        var blackholed: Bool
    }

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RealClusterError("socket: errno \(errno)") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && listen(socket, 64) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else {
            close(socket)
            throw RealClusterError("proxy bind/listen: errno \(errno)")
        }
        listener = socket
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// From now on nothing passes, on the open connections or on new ones.
    func cut() { lock.withLock { isCut = true } }

    /// New connections pass again; the ones opened before stay blackholed.
    func heal() { lock.withLock { isCut = false } }

    /// Ends the thread and closes every socket the proxy holds.
    func stop() {
        lock.withLock { stopping = true }
        finished.wait()
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func connectUpstream() -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return -1 }
        var address = Self.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            return -1
        }
        return socket
    }

    private func run() {
        var pairs: [Pair] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let (cut, stop) = lock.withLock { (isCut, stopping) }
            if stop { break }
            if cut {
                for index in pairs.indices { pairs[index].blackholed = true }
            }
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for pair in pairs {
                descriptors.append(pollfd(fd: pair.client, events: Int16(POLLIN), revents: 0))
                descriptors.append(pollfd(fd: pair.upstream, events: Int16(POLLIN), revents: 0))
            }
            guard Glibc.poll(&descriptors, nfds_t(descriptors.count), 10) > 0 else { continue }
            let polled = pairs.count
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0 {
                    let upstream = cut ? -1 : connectUpstream()
                    if cut || upstream >= 0 {
                        pairs.append(Pair(client: client, upstream: upstream, blackholed: cut))
                    } else {
                        close(client)
                    }
                }
            }
            for index in 0..<polled {
                for offset in 0..<2 {
                    guard descriptors[1 + 2 * index + offset].revents != 0 else { continue }
                    let pair = pairs[index]
                    let (from, to) = offset == 0 ? (pair.client, pair.upstream) : (pair.upstream, pair.client)
                    guard from >= 0 else { continue }
                    let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                    if count <= 0 {
                        close(from)
                        if offset == 0 { pairs[index].client = -1 } else { pairs[index].upstream = -1 }
                        // A blackholed link loses the close too; a live one passes it on.
                        if !pair.blackholed, to >= 0 {
                            close(to)
                            pairs[index].client = -1
                            pairs[index].upstream = -1
                        }
                    } else if !pair.blackholed, to >= 0 {
                        var sent = 0
                        while sent < count {
                            let n = buffer[sent..<count].withUnsafeBytes {
                                send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                            }
                            guard n > 0 else { break }
                            sent += n
                        }
                    }
                }
            }
            pairs.removeAll { $0.client < 0 && $0.upstream < 0 }
        }
        for pair in pairs {
            if pair.client >= 0 { close(pair.client) }
            if pair.upstream >= 0 { close(pair.upstream) }
        }
        close(listener)
        finished.signal()
    }
}
