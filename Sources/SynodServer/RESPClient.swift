import Foundation

/// A small blocking RESP client over one TCP connection, for the command line and tests:
/// send a command, wait for its answer, with a timeout on every step.
///
/// ```swift
/// let client = try RESPClient(host: "127.0.0.1", port: 7201)
/// let answer = try client.call("SET", "a", "1")   // .simpleString("OK")
/// ```
public final class RESPClient {
    private let descriptor: Int32
    private var parser = RESPParser()

    public init(host: String, port: Int, timeout: TimeInterval = 2) throws {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw RESPClientError.connect("cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        let socket = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard socket >= 0 else { throw RESPClientError.connect("socket: errno \(errno)") }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard connect(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(socket)
            throw RESPClientError.connect("\(host):\(port): \(String(cString: strerror(code)))")
        }
        descriptor = socket
    }

    deinit { close(descriptor) }

    /// Sends one command (an array of bulk strings) and returns the answer.
    public func call(_ words: String...) throws -> RESPValue {
        try call(words)
    }

    public func call(_ words: [String]) throws -> RESPValue {
        var bytes: [UInt8] = []
        RESPEncoder.encode(.array(words.map { .bulk($0) }), into: &bytes)
        try send(bytes)
        return try receive()
    }

    /// Sends one command whose words are any bytes (binary keys and values).
    public func call(bytes words: [[UInt8]]) throws -> RESPValue {
        var bytes: [UInt8] = []
        RESPEncoder.encode(.array(words.map { .bulkString($0) }), into: &bytes)
        try send(bytes)
        return try receive()
    }

    /// Sends raw bytes, as they are (for tests that speak garbage).
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw RESPClientError.io("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Waits for the next answer; throws `.closed` when the server closed the connection.
    public func receive() throws -> RESPValue {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            do {
                if let value = try parser.next() { return value }
            } catch {
                throw RESPClientError.io("bad answer: \(error)")
            }
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw RESPClientError.closed }
            guard n > 0 else {
                throw RESPClientError.io(errno == EAGAIN ? "timed out" : "recv: \(String(cString: strerror(errno)))")
            }
            parser.append(chunk[..<n])
        }
    }
}

public enum RESPClientError: Error, CustomStringConvertible, Equatable {
    case connect(String)
    case io(String)
    case closed

    public var description: String {
        switch self {
        case .connect(let text): "cannot connect: \(text)"
        case .io(let text): text
        case .closed: "the server closed the connection"
        }
    }
}
