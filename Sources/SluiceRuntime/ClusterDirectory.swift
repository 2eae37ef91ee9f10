#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The files of one deployment under `<stateDirectory>/clusters/<name>/`: `conf/` (the distribution's
/// conf with our config.yaml and log4j settings), `log/`, `state/` (checkpoints, savepoints, tmp, pid
/// files) and `state.json` (the runtime's durable record).
struct ClusterDirectory {
    let root: URL
    var conf: URL { root.appendingPathComponent("conf", isDirectory: true) }
    var log: URL { root.appendingPathComponent("log", isDirectory: true) }
    var state: URL { root.appendingPathComponent("state", isDirectory: true) }
    var stateFile: URL { root.appendingPathComponent("state.json") }

    /// The captured stdout/stderr of one process: `log/<role>-<n>.log`.
    func outputLog(_ key: ProcessKey) -> URL { log.appendingPathComponent("\(key.fileStem).log") }

    /// Creates the directories and writes conf/ for `plan` with the given ports.
    func prepare(plan: FlinkProcessPlan, restPort: Int, rpcPort: Int, configuration: RuntimeConfiguration) throws {
        let fileManager = FileManager.default
        for directory in [root, log, state, state.appendingPathComponent("tmp"), state.appendingPathComponent("web"),
                          state.appendingPathComponent("pids")] {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let distribution = configuration.flinkHome.appendingPathComponent("conf", isDirectory: true)
        try? fileManager.removeItem(at: conf)
        try fileManager.copyItem(at: distribution, to: conf)
        let original = try String(contentsOf: distribution.appendingPathComponent("config.yaml"), encoding: .utf8)
        let text = Self.configYAML(original: original, settings: settings(plan: plan, restPort: restPort, rpcPort: rpcPort,
                                                                           configuration: configuration))
        try text.write(to: conf.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        try writeLog4j(configuration: configuration)
    }

    /// The config.yaml keys: runtime defaults, overridden by the spec's flinkConfiguration, overridden
    /// by what the runtime must own (addresses, ports, process sizes, slots).
    func settings(plan: FlinkProcessPlan, restPort: Int, rpcPort: Int, configuration: RuntimeConfiguration) -> [String: String] {
        let bind = configuration.bindAddress
        // Peers need a concrete address: a wildcard bind address is advertised as the loopback address.
        let address = configuration.advertisedAddress
        var settings: [String: String] = [
            "execution.checkpointing.dir": state.appendingPathComponent("checkpoints").absoluteString,
            "execution.checkpointing.savepoint-dir": state.appendingPathComponent("savepoints").absoluteString,
            "io.tmp.dirs": state.appendingPathComponent("tmp").path,
            "web.tmpdir": state.appendingPathComponent("web").path,
            "state.backend.type": "hashmap",
            // Notice a lost TaskManager or JobManager within seconds rather than Flink's default 50 s.
            "heartbeat.interval": "1000", "heartbeat.timeout": "10000",
            // /jobs/<id> and its checkpoints are served from a cache refreshed this often (3 s by
            // default): a short interval lets upgrades and health gates see a stop or a checkpoint at once.
            "web.refresh-interval": "200",
        ]
        settings.merge(plan.flinkConfiguration) { $1 }
        settings.merge([
            "jobmanager.rpc.address": address, "jobmanager.bind-host": bind, "jobmanager.rpc.port": String(rpcPort),
            "taskmanager.host": address, "taskmanager.bind-host": bind,
            "rest.address": address, "rest.bind-address": bind, "rest.port": String(restPort),
            // Only the two ports above must be known; the kernel picks the others, so clusters never collide.
            "taskmanager.rpc.port": "0", "taskmanager.data.port": "0", "blob.server.port": "0",
            "metrics.internal.query-service.port": "0",
            "jobmanager.memory.process.size": "\(plan.jobManagerMemoryMiB)m",
            "taskmanager.memory.process.size": "\(plan.taskManagerMemoryMiB)m",
            "taskmanager.numberOfTaskSlots": String(plan.taskSlots),
        ]) { $1 }
        return settings
    }

    /// The distribution's `env:` block (JVM options Java 17 needs) followed by our flat keys, each
    /// value single-quoted so YAML never reinterprets it.
    static func configYAML(original: String, settings: [String: String]) -> String {
        var kept: [Substring] = []
        var block = ""
        for line in original.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#" { block = String(line.prefix { $0 != ":" }) }
            if block == "env", !line.hasPrefix("#"), !settings.keys.contains(where: { $0.hasPrefix("env.") }) { kept.append(line) }
        }
        let lines = settings.sorted { $0.key < $1.key }.map { key, value in
            "\(key): '\(value.replacing("'", with: "''"))'"
        }
        return kept.joined(separator: "\n") + "\n" + lines.joined(separator: "\n") + "\n"
    }

    /// Flink's own log file rolls by size (logMaxBytes, keeping logFiles), and the console appender is
    /// off so the captured stdout holds only what the JVM and scripts print outside log4j (crashes).
    private func writeLog4j(configuration: RuntimeConfiguration) throws {
        let file = conf.appendingPathComponent("log4j-console.properties")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let key = line.split(separator: "=", maxSplits: 1).first.map { $0.trimmingWhitespace() }
            switch key {
            case "appender.rolling.policies.size.size": return "appender.rolling.policies.size.size = \(configuration.logMaxBytes)"
            case "appender.rolling.strategy.max": return "appender.rolling.strategy.max = \(configuration.logFiles)"
            case "appender.console.filter.threshold.level": return "appender.console.filter.threshold.level = OFF"
            default: return String(line)
            }
        }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    }
}
