#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

extension JobReconciler {
    /// How many failures since the change make a job one that cannot start. One failure may be
    /// a hiccup Flink's restart strategy heals (a TaskManager lost); a job that failed again
    /// after restarting fails the same way on every restart, so waiting out the health timeout
    /// only delays the news.
    static let failuresBeforeGivingUp = 2

    /// A health that ends the gate at once, with the cause from Flink's exception history, when
    /// the job failed (FAILED) or kept failing (restarted `failuresBeforeGivingUp` times) since
    /// the change was applied at `since` (milliseconds since the epoch); `nil` while it may still start.
    func startFailure(of job: JobSummary, since: Int64) async -> Health? {
        guard let history = try? await client.exceptions(job.id) else { return nil }
        let failures = history.failures(since: since)
        guard let newest = failures.first else { return nil }
        let count = failures.count
        if job.state == .failed || count >= Self.failuresBeforeGivingUp {
            let times = count == 1 ? "once" : "\(count) times"
            return .cannotStart("job \(job.id) is \(job.state.rawValue); it failed \(times) since the change: \(newest.cause)")
        }
        return nil
    }
}
