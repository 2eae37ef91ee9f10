import Foundation
import SluiceRuntime
import SluiceTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Shared pieces of the supervisor tests: a configuration with short backoffs, small plans that fit
/// a 2-core test machine, and ways to look at the processes from outside.
enum RuntimeTests {
    /// A configuration on `state` with fast restarts (so crash tests take seconds, not minutes).
    static func configuration(state: URL, budgetMiB: Int = 16_000) throws -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration(flinkHome: try FlinkInstallation.flinkHome(), stateDirectory: state)
        configuration.memoryBudgetMiB = budgetMiB
        configuration.restartBackoff = (.milliseconds(300), .seconds(2))
        configuration.maxRestartsBeforeDegraded = 3
        configuration.restartWindow = .seconds(120)
        configuration.stopGracePeriod = .seconds(5)
        configuration.monitorInterval = .milliseconds(250)
        configuration.checkpointPollInterval = .seconds(1)
        // Building class-data archives runs a JobManager and a TaskManager in the background: only
        // the tests of that feature (ClassDataSharingTests) turn it on.
        configuration.classDataArchiveDirectory = nil
        return configuration
    }

    /// A small plan: JobManager 700m, TaskManagers 1000m with little managed memory, 1 s checkpoints.
    static func plan(_ name: String, taskManagers: Int = 1, extra: [String: String] = [:]) -> FlinkProcessPlan {
        FlinkProcessPlan(name: name, jobManagerMemoryMiB: 700, taskManagerMemoryMiB: 1000, taskManagers: taskManagers,
                         taskSlots: 1, flinkConfiguration: [
                             "taskmanager.memory.managed.size": "64m",
                             "execution.checkpointing.interval": "1s",
                             "restart-strategy.type": "fixed-delay",
                             "restart-strategy.fixed-delay.attempts": "1000",
                             "restart-strategy.fixed-delay.delay": "1s",
                         ].merging(extra) { $1 })
    }

    /// The pids of every process whose command line mentions `directory` (JVMs carry their conf and log paths).
    static func processes(mentioning directory: URL) -> [pid_t] {
        let output = (try? run("/usr/bin/pgrep", ["-f", directory.path], timeout: 10).stdout) ?? ""
        return output.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// How many JobManager JVMs (the standalone session entry point) mention `directory`.
    static func jobManagerJVMs(mentioning directory: URL) -> Int {
        let output = (try? run("/usr/bin/pgrep", ["-f", "StandaloneSessionClusterEntrypoint.*\(directory.path)"], timeout: 10).stdout) ?? ""
        return output.split(separator: "\n").count
    }

    /// `/overview` of the cluster at `url`.
    static func overview(_ url: URL) -> [String: Any]? {
        (try? FlinkREST(baseURL: url).get("/overview", timeout: 5))?.json
    }

    /// Whether `pid` has finished exiting: gone, or a zombie (state Z or X in /proc/<pid>/stat).
    /// A JVM killed with SIGKILL still runs for a moment while its threads are torn down.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return true }
        let state = stat[close + 2]
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
    }

    static func pid(_ status: ClusterStatus?, _ role: ProcessRole, _ index: Int = 1) -> Int32? {
        status?.processes.first { $0.role == role && $0.index == index }?.pid
    }
}
