import Foundation

/// Named points where a test can make Sluice die as if the machine lost power, to prove that the
/// next run recovers (see docs/journal.md). Inert unless `SLUICE_FAILPOINT` names the point.
public enum Failpoint {
    /// Kills this process with SIGKILL — no cleanup, no flush — when `SLUICE_FAILPOINT` is `name`.
    public static func hit(_ name: String) {
        guard ProcessInfo.processInfo.environment["SLUICE_FAILPOINT"] == name else { return }
        kill(getpid(), SIGKILL)
    }
}
