import Foundation
import SynodServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why one operation of `synod bench kv` failed. Each failure is counted, never retried
/// in place: a retry would hide the failure and skew the latency.
enum BenchKVError: Error, CustomStringConvertible {
    case connect(String)
    case io(String)
    case closed
    case answer(String)

    var description: String {
        switch self {
        case .connect(let text): "cannot connect: \(text)"
        case .io(let text): text
        case .closed: "the server closed the connection"
        case .answer(let text): text
        }
    }
}

/// One load-generator client's TCP connection: blocking, `TCP_NODELAY`, a timeout on
/// every send and receive, and one receive buffer reused for every answer, so that the
/// generator spends its CPU on the wire rather than on allocation.
///
/// ```swift
/// let connection = try BenchKVConnection(host: "127.0.0.1", port: 7201, timeout: 5)
/// var request: [UInt8] = []
/// BenchKVConnection.encode(["GET", "k"], into: &request)
/// let answer = try connection.roundTrip(request)
/// ```
final class BenchKVConnection {
    private let descriptor: Int32
    private var parser = RESPParser()
    private let chunk: UnsafeMutableRawBufferPointer

    init(host: String, port: Int, timeout: Double) throws(BenchKVError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw .connect("\(host) is not an IPv4 address")
        }
        #if canImport(Glibc) || canImport(Musl)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { throw .connect("socket: \(String(cString: strerror(errno)))") }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(socket)
            throw .connect("\(host):\(port): \(String(cString: strerror(code)))")
        }
        descriptor = socket
        chunk = .allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit {
        close(descriptor)
        chunk.deallocate()
    }

    /// Appends `words` to `buffer` as a RESP array of bulk strings (a command).
    static func encode(_ words: [ArraySlice<UInt8>], into buffer: inout [UInt8]) {
        RESPEncoder.encodeArrayHeader(count: words.count, into: &buffer)
        for word in words { RESPEncoder.encodeBulkString(word, into: &buffer) }
    }

    /// Sends `request` (one encoded command) and waits for its one answer.
    func roundTrip(_ request: [UInt8]) throws(BenchKVError) -> RESPValue {
        try send(request)
        return try receive()
    }

    private func send(_ bytes: [UInt8]) throws(BenchKVError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { all in
                #if canImport(Darwin)
                    Darwin.send(descriptor, all.baseAddress! + sent, all.count - sent, 0)
                #else
                    Glibc.send(descriptor, all.baseAddress! + sent, all.count - sent, Int32(MSG_NOSIGNAL))
                #endif
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .io("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    private func receive() throws(BenchKVError) -> RESPValue {
        while true {
            do {
                if let value = try parser.next() { return value }
            } catch {
                throw .io("bad answer: \(error)")
            }
            let n = recv(descriptor, chunk.baseAddress, chunk.count, 0)
            if n == 0 { throw .closed }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw .io(
                    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : "recv: \(String(cString: strerror(errno)))")
            }
            parser.append(UnsafeRawBufferPointer(rebasing: chunk[..<n]))
        }
    }
}
