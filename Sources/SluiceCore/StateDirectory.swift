#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sluice's state directory (journal, runtime directories, locks), shared by `sluice` and `sluice-runtime`.
public enum StateDirectory {
    /// `option` when given, else `$SLUICE_STATE_DIR`, else `~/.local/state/sluice`.
    public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let option { return URL(fileURLWithPath: option) }
        if let env = environment["SLUICE_STATE_DIR"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/sluice")
    }
}
