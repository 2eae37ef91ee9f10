import Foundation
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
}

struct RuntimeLocationError: SluiceError {
    var message: String
    var hint: String?
}
