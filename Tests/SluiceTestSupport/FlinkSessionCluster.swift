import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real standalone Flink session cluster (one JobManager, one or more TaskManagers) running as
/// child processes on 127.0.0.1, with its own configuration, logs, checkpoint and savepoint
/// directories under a temporary directory. `stop()` (or releasing the value) ends every JVM.
///
/// Each JVM runs under a small shell guard in its own process group; the guard kills the group
/// when the test process disappears, so a crashed or killed test run leaves no JVMs behind.
public final class FlinkSessionCluster: @unchecked Sendable {
    /// The REST endpoint, `http://127.0.0.1:<port>`.
    public var restURL: URL { URL(string: "http://127.0.0.1:\(lock.withLock { restPort })")! }
    /// A REST client for `restURL`.
    public var rest: FlinkREST { FlinkREST(baseURL: restURL) }
    /// The per-instance directory holding conf/, log/, checkpoints/, savepoints/ and tmp/.
    public let workDir: URL
    /// Where savepoints go by default (`execution.checkpointing.savepoint-dir`).
    public let savepointDir: URL
    /// Where checkpoints go (`execution.checkpointing.dir`).
    public let checkpointDir: URL
    /// The Flink distribution used.
    public let flinkHome: URL
    /// Slots per TaskManager.
    public let taskSlots: Int

    private let confDir: URL
    private let logDir: URL
    private let lock = NSLock()
    private var restPort: UInt16 = 0
    private var jobManager: SpawnedProcess?
    private var taskManagers: [SpawnedProcess] = []
    private var taskManagerCount = 0

    /// Starts a cluster with one TaskManager of `taskSlots` slots and waits (up to `startupTimeout`
    /// seconds) until the REST API reports it with free slots. `extraConfig` adds or overrides
    /// config.yaml keys (flat keys, e.g. `"execution.checkpointing.interval": "5s"`).
    /// `omittedConfig` leaves default keys out (e.g. `execution.checkpointing.dir`, for jobs
    /// whose checkpoints are not externally addressable).
    public init(taskSlots: Int = 4, extraConfig: [String: String] = [:], omittedConfig: Set<String> = [],
                startupTimeout: TimeInterval = 90) async throws {
        flinkHome = try FlinkInstallation.flinkHome()
        self.taskSlots = taskSlots
        workDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-flink-\(UUID().uuidString.prefix(8))", isDirectory: true)
        confDir = workDir.appendingPathComponent("conf", isDirectory: true)
        logDir = workDir.appendingPathComponent("log", isDirectory: true)
        savepointDir = workDir.appendingPathComponent("savepoints", isDirectory: true)
        checkpointDir = workDir.appendingPathComponent("checkpoints", isDirectory: true)
        // From here on deinit runs on a throw, and removes the work directory.
        let fileManager = FileManager.default
        for directory in [logDir, savepointDir, checkpointDir, workDir.appendingPathComponent("tmp"),
                          workDir.appendingPathComponent("web")] {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        try fileManager.copyItem(at: flinkHome.appendingPathComponent("conf"), to: confDir)

        // Only the REST and JobManager RPC ports must be known in advance; the others are 0, so the
        // kernel picks them and parallel clusters cannot race for them. The two chosen ports can
        // still be taken in between: then the JobManager exits and we try again with new ones.
        let attempts = 3
        for attempt in 1...attempts {
            let restPort = try freePort()
            lock.withLock { self.restPort = restPort }
            try writeConfig(restPort: restPort, rpcPort: try freePort(), extra: extraConfig, omitted: omittedConfig)
            do {
                let started = Date()
                let process = try startDaemon("jobmanager.sh", name: "jobmanager")
                lock.withLock { jobManager = process }
                try startTaskManager()
                try await waitUntilReady(timeout: startupTimeout)
                startupSeconds = Date().timeIntervalSince(started)
                return
            } catch {
                let tail = logs()
                stopProcesses()
                if attempt < attempts, error is JobManagerExited { continue }
                stop()
                throw FlinkTestError("\(error)\n--- JobManager log (tail) ---\n\(tail)")
            }
        }
    }

    /// How long the cluster took from starting the JVMs until it had free slots.
    public private(set) var startupSeconds: TimeInterval = 0

    /// The process ids (process group leaders) of the JobManager and TaskManager guards still running.
    public var processGroups: [pid_t] {
        lock.withLock { ([jobManager].compactMap { $0 } + taskManagers).filter(\.isRunning).map(\.pid) }
    }

    /// The test job jar (`Tests/Fixtures/flink-job`), built by `scripts/install-flink.sh` when needed.
    public static func testJobJar() throws -> URL { try FlinkInstallation.testJobJar() }

    /// Starts one more TaskManager (e.g. after `killTaskManager()`); it registers on its own.
    public func startTaskManager() throws {
        let number = lock.withLock {
            taskManagerCount += 1
            return taskManagerCount
        }
        let process = try startDaemon("taskmanager.sh", name: "taskmanager-\(number)")
        lock.withLock { taskManagers.append(process) }
    }

    /// Kills every JVM of the cluster with SIGKILL and starts them again with the same
    /// configuration, ports and directories: a session cluster without HA forgets its jobs, while
    /// checkpoints and savepoints stay on disk.
    public func restart(timeout: TimeInterval = 90) async throws {
        let processes = lock.withLock {
            defer { taskManagers = []; jobManager = nil }
            return taskManagers + [jobManager].compactMap { $0 }
        }
        for process in processes { Self.endGroup(process, graceSeconds: 0) }
        let process = try startDaemon("jobmanager.sh", name: "jobmanager-restarted")
        lock.withLock { jobManager = process }
        try startTaskManager()
        try await waitUntilReady(timeout: timeout)
    }

    /// Kills the newest running TaskManager with SIGKILL (no clean shutdown), for recovery tests.
    public func killTaskManager() {
        let victim = lock.withLock { taskManagers.last(where: \.isRunning) }
        guard let victim else { return }
        Self.endGroup(victim, graceSeconds: 0)
    }

    /// Ends all JVMs of the cluster (SIGTERM, then SIGKILL after a few seconds) and removes the work
    /// directory. Safe to call more than once.
    public func stop() {
        stopProcesses()
        // SLUICE_KEEP_FLINK_DIRS=1 keeps logs and output for debugging.
        if ProcessInfo.processInfo.environment["SLUICE_KEEP_FLINK_DIRS"] == nil {
            try? FileManager.default.removeItem(at: workDir)
        }
    }

    private func stopProcesses() {
        let processes = lock.withLock {
            defer { taskManagers = []; jobManager = nil }
            return taskManagers + [jobManager].compactMap { $0 }
        }
        for process in processes { Self.endGroup(process, graceSeconds: 5) }
    }

    /// The last `lines` lines of the JobManager log, for failure messages.
    public func logs(lines: Int = 60) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: logDir.path)) ?? []
        let log = files.first { $0.contains("standalonesession") && $0.hasSuffix(".log") }
            ?? files.first { $0.hasPrefix("jobmanager") }
        guard let log, let text = try? String(contentsOfFile: logDir.appendingPathComponent(log).path, encoding: .utf8) else {
            return "(no JobManager log in \(logDir.path))"
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    deinit { stop() }

    // MARK: - Starting

    /// The JobManager ended while the cluster was starting (e.g. its port was taken).
    private struct JobManagerExited: Error, CustomStringConvertible {
        var description: String { "the Flink JobManager exited during startup" }
    }

    /// Waits until `/overview` reports at least one TaskManager and a free slot.
    public func waitUntilReady(timeout: TimeInterval = 90) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        while Date() < deadline {
            let jobManagerRunning = lock.withLock { jobManager?.isRunning ?? false }
            guard jobManagerRunning else { throw JobManagerExited() }
            if let overview = try? rest.get("/overview", timeout: 5) {
                last = overview.body
                let json = overview.json
                if let managers = json?["taskmanagers"] as? Int, managers >= 1,
                   let free = json?["slots-available"] as? Int, free >= 1 {
                    return
                }
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        throw FlinkTestError("the Flink cluster at \(restURL) had no free slots after \(Int(timeout)) s; last /overview: \(last)")
    }

    private func writeConfig(restPort: UInt16, rpcPort: UInt16, extra: [String: String], omitted: Set<String>) throws {
        // Keep the distribution's `env:` block (JVM --add-opens options Java 17 needs) and replace the
        // rest with flat keys of our own, so no key appears twice.
        let original = try String(contentsOf: flinkHome.appendingPathComponent("conf/config.yaml"), encoding: .utf8)
        var kept: [Substring] = []
        var block = ""
        for line in original.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#" { block = String(line.prefix { $0 != ":" }) }
            if block == "env", !line.hasPrefix("#") { kept.append(line) }
        }
        var settings: [(String, String)] = [
            ("jobmanager.rpc.address", "localhost"), ("jobmanager.bind-host", "localhost"),
            ("jobmanager.rpc.port", "\(rpcPort)"), ("jobmanager.memory.process.size", "800m"),
            ("taskmanager.host", "localhost"), ("taskmanager.bind-host", "localhost"),
            ("taskmanager.rpc.port", "0"), ("taskmanager.data.port", "0"),
            ("taskmanager.numberOfTaskSlots", "\(taskSlots)"), ("taskmanager.memory.process.size", "1000m"),
            // The hashmap state backend needs no managed memory; a small share leaves heap for tasks.
            ("taskmanager.memory.managed.size", "64m"),
            ("rest.address", "127.0.0.1"), ("rest.bind-address", "127.0.0.1"), ("rest.port", "\(restPort)"),
            ("blob.server.port", "0"), ("metrics.internal.query-service.port", "0"),
            ("parallelism.default", "1"), ("state.backend.type", "hashmap"),
            ("execution.checkpointing.interval", "1s"),
            ("execution.checkpointing.dir", checkpointDir.absoluteString),
            ("execution.checkpointing.savepoint-dir", savepointDir.absoluteString),
            ("io.tmp.dirs", workDir.appendingPathComponent("tmp").path),
            ("web.tmpdir", workDir.appendingPathComponent("web").path),
            // Notice a killed TaskManager within seconds, and keep restarting failed jobs.
            ("heartbeat.interval", "1000"), ("heartbeat.timeout", "10000"),
            ("restart-strategy.type", "fixed-delay"), ("restart-strategy.fixed-delay.attempts", "1000"),
            ("restart-strategy.fixed-delay.delay", "1s"),
        ]
        settings.removeAll { extra[$0.0] != nil || omitted.contains($0.0) }
        settings += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let text = kept.joined(separator: "\n") + "\n" + settings.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
        try text.write(to: confDir.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
    }

    /// Starts `bin/<script> start-foreground` under a guard shell that kills the whole process group
    /// when either the JVM or this test process ends. The guard's name ($0) and the JVM's
    /// `--configDir` both contain `workDir`, so `pgrep -f <workDir>` finds every process of the cluster.
    private func startDaemon(_ script: String, name: String) throws -> SpawnedProcess {
        let guardScript = """
            "$@" &
            child=$!
            while kill -0 "$SLUICE_FLINK_OWNER" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
            kill -9 0
            """
        let output = logDir.appendingPathComponent("\(name).out").path
        return try SpawnedProcess(
            "/bin/bash", ["-c", guardScript, "sluice-flink-guard:\(workDir.path)", flinkHome.appendingPathComponent("bin/\(script)").path,
                          "start-foreground"],
            env: [
                "FLINK_CONF_DIR": confDir.path, "FLINK_LOG_DIR": logDir.path, "FLINK_PID_DIR": workDir.path,
                "FLINK_IDENT_STRING": "sluice", "SLUICE_FLINK_OWNER": "\(getpid())",
            ],
            stdoutPath: output, stderrPath: output)
    }

    /// Ends a guard's process group: SIGTERM (when `graceSeconds` > 0), then SIGKILL, and waits
    /// (bounded) until no process of the group is left.
    private static func endGroup(_ process: SpawnedProcess, graceSeconds: TimeInterval) {
        let group = process.pid
        let groupAlive = { () -> Bool in
            _ = process.isRunning  // reaps the leader so a zombie does not count
            return kill(-group, 0) == 0
        }
        if graceSeconds > 0, groupAlive() {
            kill(-group, SIGTERM)
            let deadline = Date().addingTimeInterval(graceSeconds)
            while Date() < deadline, groupAlive() { usleep(50_000) }
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, groupAlive() {
            kill(-group, SIGKILL)
            usleep(20_000)
        }
        process.stop(graceSeconds: 0)
    }
}
