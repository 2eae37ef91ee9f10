#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Starts child processes with `posix_spawn`: in a process group of their own (so the whole
/// group can be signalled), with an empty signal mask and default handlers, stdin from /dev/null
/// and stdout/stderr written to files.
///
/// Why not `Foundation.Process`: it passes the caller's blocked signal mask on (test runners and
/// servers block most signals), so a child may ignore SIGTERM and never see SIGCHLD; and it ties
/// the child's output to pipes of this process, which a supervised child must outlive.
public enum Spawn {
    /// Why a child could not be started.
    public struct Failure: Error, CustomStringConvertible {
        public let executable: String
        public let reason: String
        public var description: String { "cannot start \(executable): \(reason)" }
    }

    /// Starts `executable` with `arguments` and exactly `environment`; returns its pid, which is
    /// also its process group id. Output goes to `standardOutput` (appended when `append`, else
    /// truncated), errors to `standardError` or, when `nil`, to the same file. With `directory`,
    /// the child starts there (through `/bin/sh -c 'cd ... && exec ...'`, which keeps the pid:
    /// glibc's `posix_spawn_file_actions_addchdir_np` is not visible to Swift).
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String],
                             directory: String? = nil, standardOutput: String, standardError: String? = nil,
                             append: Bool = false) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, mode, 0o644)
        if let standardError {
            posix_spawn_file_actions_addopen(&actions, 2, standardError, mode, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        closeInheritedDescriptors(&actions)

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

        let program = directory == nil ? executable : "/bin/sh"
        let fullArguments = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, executable] + arguments }
            ?? [executable] + arguments
        let argv = fullArguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let code = posix_spawn(&child, program, &actions, &attributes, argv, envp)
        guard code == 0 else { throw Failure(executable: executable, reason: String(cString: strerror(code))) }
        return child
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not export.
    nonisolated(unsafe) private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// A child keeps only stdin, stdout and stderr: a descriptor of this process that is not
    /// close-on-exec (a listening socket, a lock) must not live on in a JVM that outlives it.
    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, 3) == 0 { return }
        // Older C libraries: close what is open now (closing one that is gone by then is not an error).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
