#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Runs the Flink clusters of the bundled runtime on this host: one JobManager and its TaskManagers
/// per FlinkDeployment, each JVM a supervised child in its own process group. Crashed processes are
/// restarted with exponential backoff until they crash too often (then the deployment is degraded).
/// Everything needed to take over after a runtime restart is kept in `<stateDirectory>/clusters/<name>/state.json`.
public actor FlinkSupervisor {
    let configuration: RuntimeConfiguration
    var clusters: [String: ManagedCluster] = [:]
    let http: HTTPClient
    /// Set by `shutdown`: the supervisor no longer knows its deployments, so it must not start any
    /// (it could start a second JobManager beside processes left running for the next runtime).
    var isShutDown = false
    /// The background run that builds the class-data archives, while one runs.
    var training: Task<Void, Never>?

    /// Loads the durable state of every deployment under `stateDirectory`. Processes of an earlier
    /// runtime that still run (same pid, same start time, and their environment names the deployment
    /// directory) are adopted; missing ones are restarted by the monitor right away.
    public init(configuration: RuntimeConfiguration) throws {
        self.configuration = configuration
        // Local REST calls only: no proxy, short timeouts, no retries (the monitor polls again anyway).
        http = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(2), timeout: .seconds(5),
                                                                 retry: .none, proxy: ""))
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: configuration.clustersDirectory, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError(.state, "cannot create the runtime state directory \(configuration.clustersDirectory.path): \(error)",
                               hint: "choose a writable stateDirectory")
        }
        let names = (try? fileManager.contentsOfDirectory(atPath: configuration.clustersDirectory.path)) ?? []
        var loaded: [String: ManagedCluster] = [:]
        for name in names.sorted() {
            let directory = ClusterDirectory(root: configuration.clusterDirectory(name))
            guard var state = try ClusterState.load(directory.stateFile) else { continue }
            guard state.desiredRunning else {
                loaded[name] = ManagedCluster(state: state, directory: directory, phase: .stopped)
                continue
            }
            let now = ContinuousClock.now
            var pending: [ProcessKey: ContinuousClock.Instant] = [:]
            state.processes = state.processes.filter { record in
                let alive = ProcessTable.isAlive(record.pid, startTime: record.startTime)
                    && ProcessTable.mentions(record.pid, directory.root.path)
                if !alive {
                    _ = ProcessTable.reap(record.pid)  // our own child when this process ran the earlier supervisor
                    pending[record.key] = now
                }
                return alive
            }
            let cluster = ManagedCluster(state: state, directory: directory, phase: .starting)
            for key in cluster.expectedKeys where cluster.record(key) == nil { pending[key] = now }
            cluster.pendingRestarts = pending
            if let reason = state.degradedReason {
                cluster.phase = .degraded
                cluster.reason = reason
                cluster.pendingRestarts = [:]
            } else if !pending.isEmpty {
                cluster.phase = .restarting
                cluster.reason = "\(pending.keys.map(\.description).sorted().joined(separator: ", ")) ended while the runtime was not running"
            }
            loaded[name] = cluster
        }
        clusters = loaded
        Task { await self.startMonitors() }
    }

    /// Starts (or adopts) the cluster for `plan` and returns once its JobManager's `/overview` lists all
    /// TaskManagers. A deployment already running with the same plan is left as it is; one with a
    /// different plan is stopped and started anew. Refuses, starting nothing, when the plan together
    /// with the other running plans would exceed the memory budget. Throws when the cluster becomes
    /// degraded or is not ready within `startupTimeout` (its processes then stay supervised).
    public func ensureRunning(_ plan: FlinkProcessPlan, startupTimeout: Duration) async throws -> ClusterEndpoint {
        guard !isShutDown else {
            throw RuntimeError(.stopped, "the runtime supervisor was shut down; cannot start \(plan.name)",
                               hint: "create a new FlinkSupervisor on the same state directory")
        }
        if let existing = clusters[plan.name], existing.state.desiredRunning {
            if existing.state.plan == plan {
                startMonitor(plan.name)
                let endpoint = try await waitUntilReady(plan.name, timeout: startupTimeout)
                trainClassDataArchivesIfNeeded()
                return endpoint
            }
            await stop(plan.name)
        }
        try checkBudget(plan)
        let directory = ClusterDirectory(root: configuration.clusterDirectory(plan.name))
        let restPort = try PortAllocator.freePort(host: configuration.bindAddress)
        var rpcPort = try PortAllocator.freePort(host: configuration.bindAddress)
        for _ in 0..<5 where rpcPort == restPort { rpcPort = try PortAllocator.freePort(host: configuration.bindAddress) }
        try directory.prepare(plan: plan, restPort: restPort, rpcPort: rpcPort, configuration: configuration)
        // A new start keeps the checkpoint record of an earlier run: the driver may restore from it.
        let previous = try? ClusterState.load(directory.stateFile)
        let state = ClusterState(plan: plan, restPort: restPort, rpcPort: rpcPort, processes: [],
                                 latestCheckpoint: previous?.latestCheckpoint, jobID: previous?.jobID)
        let cluster = ManagedCluster(state: state, directory: directory, phase: .starting)
        clusters[plan.name] = cluster
        do {
            for key in cluster.expectedKeys {
                cluster.state.processes.append(try spawn(key, in: cluster))
            }
            try cluster.save()
        } catch {
            await endProcesses(of: cluster)
            cluster.state.desiredRunning = false
            cluster.phase = .stopped
            try? cluster.save()
            throw error
        }
        startMonitor(plan.name)
        let endpoint = try await waitUntilReady(plan.name, timeout: startupTimeout)
        // After the start, so the training's JVMs do not compete with this one's.
        trainClassDataArchivesIfNeeded()
        return endpoint
    }

    /// Stops a deployment: SIGTERM to each process group, SIGKILL after the grace period. The
    /// deployment stays known (phase `stopped`, checkpoint record kept) and is not restarted by a new runtime.
    public func stop(_ name: String) async {
        guard let cluster = clusters[name] else { return }
        cluster.monitor?.cancel()
        cluster.monitor = nil
        cluster.state.desiredRunning = false
        cluster.pendingRestarts = [:]
        cluster.degraded = []
        cluster.state.degradedReason = nil
        cluster.phase = .stopped
        cluster.reason = nil
        try? cluster.save()
        await endProcesses(of: cluster)
        cluster.state.processes = []
        try? cluster.save()
    }

    /// Every known deployment, sorted by name.
    public func status() -> [ClusterStatus] {
        clusters.keys.sorted().compactMap { status(of: $0) }
    }

    /// One deployment's status, or nil when the runtime does not know it.
    public func status(of name: String) -> ClusterStatus? {
        guard let cluster = clusters[name] else { return nil }
        let processes = cluster.expectedKeys.map { key in
            ProcessStatus(role: key.role, index: key.index, pid: cluster.record(key)?.pid,
                          startedAt: cluster.record(key)?.startedAt, logPath: cluster.directory.outputLog(key).path)
        }
        return ClusterStatus(name: name, phase: cluster.phase, reason: cluster.reason, restartCount: cluster.state.restartCount,
                             processes: cluster.phase == .stopped ? [] : processes,
                             restURL: cluster.phase == .stopped ? nil : endpoint(cluster).restURL,
                             memoryMiB: cluster.state.plan.totalMemoryMiB, jobID: cluster.state.jobID,
                             latestCheckpoint: cluster.state.latestCheckpoint)
    }

    /// The latest completed checkpoint seen for the deployment's job (durable across runtime restarts).
    public func latestCheckpoint(of name: String) -> String? { clusters[name]?.state.latestCheckpoint }

    /// Tells the runtime which job runs on the deployment's cluster, so it follows that job's checkpoints.
    public func recordJob(name: String, jobID: String) {
        guard let cluster = clusters[name], cluster.state.jobID != jobID else { return }
        cluster.state.jobID = jobID
        try? cluster.save()
    }

    /// Ends supervision. `leaveRunning: true` leaves the processes running and the state on disk, so
    /// a new runtime on the same state directory adopts them; `false` stops every deployment.
    public func shutdown(leaveRunning: Bool) async {
        isShutDown = true
        training?.cancel()
        await training?.value
        for cluster in clusters.values {
            cluster.monitor?.cancel()
            cluster.monitor = nil
        }
        if leaveRunning {
            for cluster in clusters.values { try? cluster.save() }
        } else {
            await withTaskGroup(of: Void.self) { group in
                for name in clusters.keys { group.addTask { await self.stop(name) } }
            }
        }
        clusters = [:]
    }

    // MARK: - Helpers

    func endpoint(_ cluster: ManagedCluster) -> ClusterEndpoint {
        ClusterEndpoint(restURL: URL(string: "http://\(configuration.advertisedAddress):\(cluster.state.restPort)")!,
                               restPort: cluster.state.restPort, rpcPort: cluster.state.rpcPort)
    }

    /// Throws `memoryBudget` when `plan` (replacing any running plan of the same name) does not
    /// fit next to the other deployments; callers check before stopping what runs now.
    public func checkBudget(_ plan: FlinkProcessPlan) throws {
        let others = clusters.values.filter { $0.state.desiredRunning && $0.state.plan.name != plan.name }
        let used = others.reduce(0) { $0 + $1.state.plan.totalMemoryMiB }
        let budget = configuration.memoryBudgetMiB
        guard used + plan.totalMemoryMiB > budget else { return }
        let running = others.map { "\($0.state.plan.name) \($0.state.plan.totalMemoryMiB) MiB" }.sorted().joined(separator: ", ")
        throw RuntimeError(
            .memoryBudget,
            "\(plan.name) needs \(plan.totalMemoryMiB) MiB (JobManager \(plan.jobManagerMemoryMiB) MiB + \(plan.taskManagers) × TaskManager \(plan.taskManagerMemoryMiB) MiB) "
                + "but only \(max(0, budget - used)) MiB of the runtime's \(budget) MiB memory budget are free"
                + (running.isEmpty ? "" : " (running: \(running))"),
            hint: "lower spec.jobManager.resource.memory, spec.taskManager.resource.memory or spec.taskManager.replicas, "
                + "stop another deployment, or raise the runtime's memory budget")
    }

    /// Starts one process of `cluster` and returns its record. With a complete set of class-data
    /// archives the JVMs map them (`JVMStart`); the record says so, for `discardArchivesIfSuspect`.
    func spawn(_ key: ProcessKey, in cluster: ManagedCluster) throws -> ProcessRecord {
        let archives = classDataArchives()?.usable()
        let environment = JVMStart.environment(role: key.role, plan: cluster.state.plan,
                                               base: processEnvironment(key, directory: cluster.directory), archives: archives)
        var record = try startFlinkProcess(key, directory: cluster.directory, environment: environment)
        record.classDataSharing = archives != nil
        return record
    }

    /// The environment Flink's scripts need for one process of the deployment in `directory`.
    func processEnvironment(_ key: ProcessKey, directory: ClusterDirectory) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "FLINK_HOME": configuration.flinkHome.path,
            "FLINK_CONF_DIR": directory.conf.path, "FLINK_LOG_DIR": directory.log.path,
            "FLINK_PID_DIR": directory.state.appendingPathComponent("pids").path,
            // One identity per process keeps Flink's log file names apart: flink-sluice-taskmanager-2-...
            "FLINK_IDENT_STRING": "sluice-\(key.fileStem)",
            "MAX_LOG_FILE_NUMBER": String(configuration.logFiles),
        ]) { $1 }
        return environment
    }

    /// Runs `jobmanager.sh`/`taskmanager.sh start-foreground` for `key` (under `nice` when
    /// `niceness` is set) with its output appended to the process's log file.
    func startFlinkProcess(_ key: ProcessKey, directory: ClusterDirectory, environment: [String: String],
                           niceness: Int? = nil) throws -> ProcessRecord {
        let script = configuration.flinkHome.appendingPathComponent("bin/\(key.role == .jobManager ? "jobmanager.sh" : "taskmanager.sh")")
        let output = directory.outputLog(key)
        let banner = "--- \(Date.ISO8601FormatStyle().format(Date())) sluice runtime: starting \(key) ---\n"
        if !FileBytes.append(Data(banner.utf8), toExisting: output.path) {
            _ = FileManager.default.createFile(atPath: output.path, contents: Data(banner.utf8))
        }
        let resourceID = key.role == .taskManager ? "sluice-\(key.fileStem)-\(UUID().uuidString.prefix(8).lowercased())" : nil
        let arguments = [script.path, "start-foreground"] + (resourceID.map { ["-Dtaskmanager.resource-id=\($0)"] } ?? [])
        let pid = if let niceness {
            try ProcessSpawner.spawn(Self.niceExecutable, ["-n", String(niceness), "/bin/bash"] + arguments, environment: environment, outputPath: output.path)
        } else {
            try ProcessSpawner.spawn("/bin/bash", arguments, environment: environment, outputPath: output.path)
        }
        let startTime = ProcessTable.stat(pid)?.startTime ?? 0
        return ProcessRecord(key: key, pid: pid, startTime: startTime, startedAt: Date(), resourceID: resourceID)
    }

    /// Ends every process group of `cluster` at once (each gets the grace period).
    func endProcesses(of cluster: ManagedCluster) async {
        let grace = configuration.stopGracePeriod
        let records = cluster.state.processes
        await withTaskGroup(of: Void.self) { group in
            for record in records {
                group.addTask { await ProcessTable.endGroup(record.pid, startTime: record.startTime, grace: grace) }
            }
        }
    }

    private func waitUntilReady(_ name: String, timeout: Duration) async throws -> ClusterEndpoint {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let cluster = clusters[name], cluster.state.desiredRunning else {
                throw RuntimeError(.stopped, "\(name) was stopped while it was starting")
            }
            switch cluster.phase {
            case .running: return endpoint(cluster)
            case .degraded:
                throw RuntimeError(.degraded, "\(name) is degraded: \(cluster.reason ?? "processes exited too often")",
                                   hint: "fix the cause (see the log), then stop the deployment or change its spec to start it again")
            default: try await Task.sleep(for: .milliseconds(50))
            }
        }
        let cluster = clusters[name]
        let log = cluster.map { $0.directory.outputLog(.jobManager).path } ?? "?"
        throw RuntimeError(.startupTimeout,
                           "\(name) was not ready within \(Int(timeout.seconds)) s (phase \(cluster?.phase.rawValue ?? "unknown")"
                               + (cluster?.reason.map { "; \($0)" } ?? "") + ")",
                           hint: "see \(log) and the Flink logs beside it; the processes stay supervised until stop")
    }
}
