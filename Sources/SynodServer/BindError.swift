import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listener that could not bind, named with its port and the system's reason
/// (`client port 7201: address already in use`), so that an operator sees at once which
/// of a server's ports is taken.
public struct BindError: Error, CustomStringConvertible, Sendable {
    /// `client`, `peer` or `metrics`.
    public var listener: String
    public var port: Int
    public var reason: String

    public var description: String { "\(listener) port \(port): \(reason)" }

    /// Runs `bind`, turning its failure into a `BindError` for `listener` on `port`.
    static func naming<Result>(
        _ listener: String, port: Int, _ bind: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await bind()
        } catch let error as IOError {
            throw BindError(
                listener: listener, port: port, reason: String(cString: strerror(error.errnoCode)).lowercased())
        } catch {
            throw BindError(listener: listener, port: port, reason: "\(error)")
        }
    }
}
