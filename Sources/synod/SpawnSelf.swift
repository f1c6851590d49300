import Foundation

/// Where a `synod` started by `synod` sends its output.
enum SpawnedOutput {
    /// A server: a session of its own (it outlives the launcher and ignores the
    /// launcher's terminal), standard input from /dev/null, output appended to `log`.
    case detached(log: String)
    /// A helper command waited for: its standard output goes to our standard error.
    case toStandardError
}

/// Starts this very executable with `arguments` and returns its pid. The child inherits
/// no descriptor but 0, 1 and 2: a caller's pipe or socket held open by a long-lived
/// server would make that caller wait for the server to exit. `posix_spawn`, not
/// Foundation's `Process`, whose wait can miss a child's exit.
func spawnSelf(_ arguments: [String], output: SpawnedOutput) throws -> pid_t {
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    switch output {
    case .detached(let log):
        // POSIX_SPAWN_SETSID (0x80, glibc) is not imported into Swift.
        posix_spawnattr_setflags(&attributes, 0x80)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    case .toStandardError:
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
    }
    if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
        for case let descriptor? in descriptors.map({ Int32($0) }) where descriptor > 2 {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
    }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard status == 0 else { throw ClusterError("cannot start \(executable): \(String(cString: strerror(status)))") }
    return pid
}
