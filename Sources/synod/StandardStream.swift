#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard output or standard error, written straight to the file descriptor.
///
/// The C `stdout`/`stderr` globals are shared mutable state that Swift 6 refuses to
/// touch from concurrent code; a descriptor is just a number. Small writes go out at
/// once; bulk output (a trace) goes through `BufferedOutput`.
struct StandardStream: TextOutputStream, Sendable {
    let descriptor: Int32

    static let output = StandardStream(descriptor: 1)
    static let error = StandardStream(descriptor: 2)

    /// True when the stream is a terminal, so a progress bar or colour makes sense.
    var isTerminal: Bool { isatty(descriptor) == 1 }

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { writeAll(descriptor, UnsafeRawBufferPointer($0)) }
    }

    /// Writes bytes as they are, for values that need not be text.
    func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll(descriptor, $0) }
    }
}

/// Collects text and writes it in large blocks: millions of trace lines should cost
/// a few thousand system calls, not millions.
final class BufferedOutput: TextOutputStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    init(descriptor: Int32 = 1, capacity: Int = 1 << 16) {
        self.descriptor = descriptor
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    deinit { flush() }

    func write(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= capacity { flush() }
    }

    /// Appends `line` and a newline.
    func writeLine(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= capacity { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { writeAll(descriptor, $0) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes every byte, retrying short writes and interrupted calls. Output that cannot
/// be written (a closed pipe) is dropped: there is nobody left to tell.
private func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
    guard var address = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
        let written = write(descriptor, address, remaining)
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        address += written
        remaining -= written
    }
}

/// The number of processors online, at least one.
func processorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
