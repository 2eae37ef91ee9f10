#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// Where the runtime finds Flink and keeps its state.
public enum RuntimeLocation {
    /// `$FLINK_HOME`, else the Flink that `make` installs (scripts/install-flink.sh) in Sluice's cache.
    public static func flinkHome(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let home = environment["FLINK_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        let cache = environment["SLUICE_CACHE"].map(URL.init(fileURLWithPath:))
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/sluice")
        let installed = cache.appendingPathComponent("flink-2.3.0/pyflink")
        guard FileManager.default.fileExists(atPath: installed.appendingPathComponent("bin/jobmanager.sh").path) else {
            throw RuntimeLocationError(message: "no Flink distribution found: FLINK_HOME is not set and \(installed.path) does not exist",
                                       hint: "run scripts/install-flink.sh (or make demo), or set FLINK_HOME to a Flink 1.19+ distribution")
        }
        return installed
    }

    /// The state directory of the runtime of `cluster` inside Sluice's state directory.
    public static func directory(stateDirectory: URL, cluster: String) -> URL {
        stateDirectory.appendingPathComponent("runtime").appendingPathComponent(cluster)
    }

    /// Where a Cluster's `spec.runtime.stateDirectory` is noted in Sluice's state directory, so
    /// `sluice runtime status --state-dir` finds a runtime kept elsewhere.
    static func pointer(stateDirectory: URL, cluster: String) -> URL {
        stateDirectory.appendingPathComponent("runtime").appendingPathComponent("\(cluster).location")
    }

    /// Notes that the runtime of `cluster` keeps its state in `directory` (not the default place).
    public static func record(_ directory: URL, stateDirectory: URL, cluster: String) {
        let file = pointer(stateDirectory: stateDirectory, cluster: cluster)
        guard directory.standardizedFileURL != Self.directory(stateDirectory: stateDirectory, cluster: cluster).standardizedFileURL else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(directory.path.utf8).write(to: file, options: .atomic)
    }

    /// The runtime directory of `cluster`: the one a Cluster's `spec.runtime.stateDirectory` named
    /// when Sluice last used it, else the default place.
    public static func resolve(stateDirectory: URL, cluster: String) -> URL {
        let file = pointer(stateDirectory: stateDirectory, cluster: cluster)
        if let data = try? FileBytes.read(file.path, limit: 4096),
           let path = String(data: data, encoding: .utf8)?.trimmingWhitespaceAndNewlines(), path.hasPrefix("/") {
            return URL(fileURLWithPath: path)
        }
        return directory(stateDirectory: stateDirectory, cluster: cluster)
    }
}

struct RuntimeLocationError: SluiceError {
    var message: String
    var hint: String?
}
