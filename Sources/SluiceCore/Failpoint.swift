#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A deliberate test seam, the one piece of Sources that exists for tests: named points where a
/// test can make Sluice die as if the machine lost power, to prove that the next run recovers
/// (see docs/journal.md). A crash between two real calls of the real binary cannot be staged from
/// outside, so the points live in the code they cut. Inert unless `SLUICE_FAILPOINT` names the
/// point; nothing else reads it.
///
/// The points: `after-stop-with-savepoint` and `before-stop-with-savepoint-outcome` (JobLifecycle),
/// `journal-after-segment-rename` (Journal).
public enum Failpoint {
    /// Kills this process with SIGKILL — no cleanup, no flush — when `SLUICE_FAILPOINT` is `name`.
    public static func hit(_ name: String) {
        guard ProcessInfo.processInfo.environment["SLUICE_FAILPOINT"] == name else { return }
        kill(getpid(), SIGKILL)
    }
}
