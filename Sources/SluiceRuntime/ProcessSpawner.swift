import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a child with `posix_spawn` in its own process group (so the whole group can be signalled),
/// with a clean signal mask and default handlers, stdin from /dev/null and stdout/stderr appended to a
/// file. Appending (not a pipe) lets the child outlive the runtime and keeps writing after the
/// runtime truncates the file on rotation.
///
/// Why not `Foundation.Process`: it passes the caller's blocked signal mask on, so a child may ignore
/// SIGTERM, and it ties the child's output to pipes of this process.
enum ProcessSpawner {
    /// Spawns `executable` with `arguments`; returns the pid (also the process group id).
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String], outputPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            throw RuntimeError(.startFailed, "cannot start \(executable): \(String(cString: strerror(code)))",
                               hint: "check that the Flink distribution's scripts exist and are executable")
        }
        return child
    }
}
