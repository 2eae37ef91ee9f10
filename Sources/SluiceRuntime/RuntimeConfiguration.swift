#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// How the bundled runtime runs Flink processes on this host.
public struct RuntimeConfiguration: Sendable {
    /// The Flink distribution (`bin/jobmanager.sh`, `conf/`, `lib/`).
    public var flinkHome: URL
    /// Where the runtime keeps one directory per deployment (`clusters/<name>/`) and its durable state.
    public var stateDirectory: URL
    /// The address every REST and RPC endpoint binds to and advertises.
    public var bindAddress: String = "127.0.0.1"
    /// The most memory (MiB) all running plans together may use; default 80% of MemTotal.
    public var memoryBudgetMiB: Int = RuntimeConfiguration.defaultMemoryBudgetMiB()
    /// The wait before the first restart of a crashed process, doubled per further crash up to `max`.
    public var restartBackoff: (initial: Duration, max: Duration) = (.seconds(1), .seconds(60))
    /// More exits of one process than this within `restartWindow` make the deployment degraded.
    public var maxRestartsBeforeDegraded: Int = 5
    /// The window over which restarts are counted.
    public var restartWindow: Duration = .seconds(600)
    /// A process's captured stdout/stderr (and Flink's own log file) rolls over at this size.
    public var logMaxBytes: Int = 10 << 20
    /// How many rolled-over log files are kept per process.
    public var logFiles: Int = 3
    /// How long `stop` waits after SIGTERM before SIGKILL.
    public var stopGracePeriod: Duration = .seconds(10)
    /// How often the monitor looks at the processes (and probes REST while a cluster starts).
    public var monitorInterval: Duration = .milliseconds(500)
    /// How often the latest completed checkpoint of the recorded job is read from the JobManager.
    public var checkpointPollInterval: Duration = .seconds(3)
    /// Where the class-data archives of the Flink distribution are built and kept (one folder per
    /// distribution); nil turns class-data sharing off. Default `<stateDirectory>/cache/jvm`.
    public var classDataArchiveDirectory: URL?
    /// Whether this runtime builds missing archives (in the background, after a deployment
    /// started). Only a runtime that keeps running should: the training JVMs are its children.
    public var buildsClassDataArchives = false

    /// A configuration with the defaults above.
    public init(flinkHome: URL, stateDirectory: URL) {
        self.flinkHome = flinkHome
        self.stateDirectory = stateDirectory
        classDataArchiveDirectory = stateDirectory.appendingPathComponent("cache/jvm", isDirectory: true)
    }

    /// 80% of the host's MemTotal from /proc/meminfo (4 GiB when it cannot be read).
    public static func defaultMemoryBudgetMiB(meminfo: String = "/proc/meminfo") -> Int {
        guard let text = try? String(contentsOfFile: meminfo, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
              let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            return 4096
        }
        return kibibytes / 1024 * 8 / 10
    }

    /// The address peers and clients use: `bindAddress`, or the loopback address for a wildcard.
    var advertisedAddress: String {
        ["0.0.0.0", "::", ""].contains(bindAddress) ? "127.0.0.1" : bindAddress
    }

    var clustersDirectory: URL { stateDirectory.appendingPathComponent("clusters", isDirectory: true) }

    func clusterDirectory(_ name: String) -> URL { clustersDirectory.appendingPathComponent(name, isDirectory: true) }
}
