/// The background work of every process that hosts runtimes (`serve`, `runtime serve`): every few
/// seconds each runtime adopts or restarts the jobs it lost (see `FlinkRuntime.recoverLostJobs`).
public enum LostJobRecovery {
    /// How often lost jobs are looked for.
    public static let interval: Duration = .seconds(5)

    /// Runs until the task is cancelled; `runtimes` is asked each time (a registry grows as clusters
    /// are first synced) and `report` gets each line a recovery reports.
    public static func run(_ runtimes: @escaping @Sendable () -> [FlinkRuntime], every interval: Duration = Self.interval,
                           report: @escaping @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            for runtime in runtimes() {
                for line in await runtime.recoverLostJobs() { report(line) }
            }
        }
    }
}
