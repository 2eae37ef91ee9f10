import Foundation
import SluiceCore

/// `sluice runtime serve` hands itself over to the `sluice-runtime` agent installed beside
/// `sluice`: the same flags and API in a binary that links only the runtime (no Foundation, ICU,
/// Git or Kubernetes code), about a quarter less resident memory (docs/runtime.md, "Idle memory").
/// Without the agent, or with SLUICE_RUNTIME_IN_PROCESS=1, `sluice` serves the runtime itself.
enum RuntimeAgentExec {
    static let binaryName = "sluice-runtime"

    /// The agent beside the running `sluice` binary, if it is there and executable.
    static func installedAgent(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["SLUICE_RUNTIME_IN_PROCESS"] != "1" else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let executable = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let agent = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(binaryName).path
        return access(agent, X_OK) == 0 ? agent : nil
    }

    /// Replaces this process with `agent serve <arguments>` (same pid, so a service manager keeps
    /// watching it). Returns only when the exec failed, having said so on stderr.
    static func replaceProcess(with agent: String, serveArguments: [String]) {
        let argv = [binaryName, "serve"] + serveArguments
        var pointers = argv.map { strdup($0) }
        pointers.append(nil)
        closeDescriptorsOnExec()
        execv(agent, pointers)
        let reason = String(cString: strerror(errno))
        for pointer in pointers { free(pointer) }
        Console.err("sluice runtime: cannot run \(agent) (\(reason)); serving from sluice itself\n")
    }

    /// Marks every open descriptor above the standard streams close-on-exec, so the agent, which
    /// runs for months on an edge host, inherits nothing `sluice` or whoever started it left open
    /// (a shell's redirection, a service manager's socket it does not use).
    static func closeDescriptorsOnExec() {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let listing = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let descriptor = Int32(name), descriptor > 2, descriptor != listing else { continue }
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
