#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The folders of this host that specs may name: local jars, CA files, kubeconfigs, token files,
/// runtime state and savepoint directories.
///
/// A commit is untrusted input. Without this rule a spec could name any file Sluice can read
/// (`jarURI: file:///home/sluice/.kube/config`) together with a cluster URL of its choosing, and
/// Sluice would upload it. The roots come only from the host's operator: `--allowed-path-root`
/// and `SLUICE_ALLOWED_ROOTS` (colon-separated), plus Sluice's own state directory. Nothing in
/// Git can add one. Paths are compared after resolving symlinks, so a link inside a root that
/// points outside it is refused too.
public final class HostPathPolicy: @unchecked Sendable {
    /// The environment variable with the allowed roots, colon-separated like `PATH`.
    public static let environmentVariable = "SLUICE_ALLOWED_ROOTS"

    /// The process's policy: starts with `SLUICE_ALLOWED_ROOTS`; the CLI adds its flags' roots.
    public static let shared = HostPathPolicy(roots: (ProcessInfo.processInfo.environment[environmentVariable] ?? "")
        .split(separator: ":").map(String.init))

    private let roots = Mutex<[String]>([])

    public init(roots: [String] = []) {
        roots.forEach(allow)
    }

    /// Allows `root` and everything below it (resolved to its real path once, now).
    public func allow(_ root: String) {
        guard !root.isEmpty else { return }
        let resolved = Self.resolve(URL(fileURLWithPath: root).standardizedFileURL.path)
        roots.withLock { roots in if !roots.contains(resolved) { roots.append(resolved) } }
    }

    public var allowedRoots: [String] { roots.withLock { $0 } }

    /// Why a path a spec names was refused.
    public struct Refusal: SluiceError, Hashable {
        public var field: String
        public var path: String
        public var roots: [String]
        public var reason: String

        public var message: String { "\(field) names \(path), \(reason)" }
        public var hint: String? {
            let current = roots.isEmpty ? "none is set" : "now: \(roots.joined(separator: ":"))"
            return "a spec may only name host paths under the roots the host's operator allows (--allowed-path-root DIR or \(HostPathPolicy.environmentVariable)=DIR[:DIR]; \(current)); a commit cannot widen them"
        }
    }

    /// The real path of `path` (a plain path or a `file:` URL) when it lies under an allowed root
    /// or one of `extraRoots` (already trusted folders, such as a runtime's own state directory).
    @discardableResult
    public func check(_ path: String, field: String, extraRoots: [String] = []) throws(Refusal) -> String {
        let roots = allowedRoots + extraRoots.map { Self.resolve(URL(fileURLWithPath: $0).standardizedFileURL.path) }
        var plain = path
        if plain.hasPrefix("file:") {
            guard let url = URL(string: plain), url.isFileURL, url.host == nil || url.host == "" || url.host == "localhost" else {
                throw Refusal(field: field, path: path, roots: roots, reason: "which is not a local file URL")
            }
            plain = url.path
        }
        guard plain.hasPrefix("/") else {
            throw Refusal(field: field, path: path, roots: roots, reason: "which is not an absolute path on this host")
        }
        if plain.split(separator: "/").contains("..") {
            throw Refusal(field: field, path: path, roots: roots, reason: "which contains \"..\"")
        }
        let resolved = Self.resolve(plain)
        guard roots.contains(where: { resolved == $0 || resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
            throw Refusal(field: field, path: path, roots: roots, reason: roots.isEmpty ? "but no host path is allowed" : "which is outside the allowed roots")
        }
        return resolved
    }

    /// The real path of the longest existing prefix of `path`, with the rest appended (a
    /// savepoint directory may not exist yet).
    static func resolve(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while existing != "/" && !existing.isEmpty {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            let url = URL(fileURLWithPath: existing)
            rest.append(url.lastPathComponent)
            existing = url.deletingLastPathComponent().path
            if existing.hasSuffix("/") && existing.count > 1 { existing.removeLast() }
        }
        return "/" + rest.reversed().joined(separator: "/")
    }
}
