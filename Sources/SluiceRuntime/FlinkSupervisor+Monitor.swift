#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceHTTP
import SluiceYAML

/// The monitor: one task per deployment that looks at its processes every `monitorInterval`, restarts
/// the ones that exited (with backoff, up to the restart limit), rotates their output logs, probes
/// REST until the cluster is whole again, and follows the job's checkpoints.
extension FlinkSupervisor {
    func startMonitors() {
        for (name, cluster) in clusters where cluster.state.desiredRunning { startMonitor(name) }
    }

    /// Starts the monitor of `name` unless it runs already. It ends when the deployment is stopped.
    func startMonitor(_ name: String) {
        guard let cluster = clusters[name], cluster.monitor == nil else { return }
        let interval = configuration.monitorInterval
        // While the cluster starts, readiness is probed every 100 ms: a start should not wait up to a
        // whole monitor interval after the last TaskManager registered.
        let probeInterval = min(interval, .milliseconds(100))
        cluster.monitor = Task { [weak self] in
            while !Task.isCancelled {
                guard let self, await self.tick(name) else { return }
                let starting = await self.isStarting(name)
                try? await Task.sleep(for: starting ? probeInterval : interval)
            }
        }
    }

    func isStarting(_ name: String) -> Bool {
        guard let phase = clusters[name]?.phase else { return false }
        return phase == .starting || phase == .restarting
    }

    /// One look at the deployment; false when its monitor should end.
    func tick(_ name: String) async -> Bool {
        guard let cluster = clusters[name], cluster.state.desiredRunning else { return false }
        var changed = false
        for record in cluster.state.processes {
            guard let exit = exitStatus(of: record) else { continue }
            handleExit(record, exit, in: cluster)
            if discardArchivesIfSuspect(record), let reason = cluster.reason {
                cluster.reason = reason + "; the class-data archives were put aside, the restart runs without them"
            }
            changed = true
        }
        let now = ContinuousClock.now
        for (key, due) in cluster.pendingRestarts where due <= now {
            cluster.pendingRestarts[key] = nil
            if key.role == .jobManager { await movePortsIfTaken(cluster) }
            guard clusters[name] === cluster, cluster.state.desiredRunning else { return false }
            do {
                cluster.state.processes.append(try spawn(key, in: cluster))
                cluster.state.restartCount += 1
            } catch {
                cluster.phase = .degraded
                cluster.reason = "cannot restart \(key): \(error)"
                cluster.state.degradedReason = cluster.reason
            }
            changed = true
        }
        if changed { try? cluster.save() }
        rotateLogs(of: cluster)

        if cluster.phase == .starting || cluster.phase == .restarting, cluster.pendingRestarts.isEmpty {
            let registered = await registeredTaskManagers(cluster)
            if clusters[name] === cluster, cluster.phase != .degraded, cluster.pendingRestarts.isEmpty,
               let registered, allRegistered(cluster, registered) {
                cluster.phase = .running
                cluster.reason = nil
            }
        } else if cluster.phase == .running {
            let due = cluster.lastCheckpointPoll.map { ContinuousClock.now - $0 >= configuration.checkpointPollInterval } ?? true
            if due {
                cluster.lastCheckpointPoll = ContinuousClock.now
                await pollCheckpoint(cluster)
            }
        }
        return clusters[name] === cluster && cluster.state.desiredRunning
    }

    /// How `record`'s process ended, or nil while it runs.
    private func exitStatus(of record: ProcessRecord) -> ExitStatus? {
        if let status = ProcessTable.reap(record.pid) { return status }
        return ProcessTable.isAlive(record.pid, startTime: record.startTime) ? nil : .unknown
    }

    /// Records an exit and schedules the restart, or marks the deployment degraded past the limit.
    private func handleExit(_ record: ProcessRecord, _ exit: ExitStatus, in cluster: ManagedCluster) {
        let key = record.key
        cluster.state.processes.removeAll { $0.key == key }
        let now = Date()
        let window = configuration.restartWindow.seconds
        cluster.state.exits.append(ExitRecord(key: key, date: now, status: exit.description))
        cluster.state.exits = cluster.state.exits.filter { now.timeIntervalSince($0.date) <= window }.suffix(200)
        let exits = cluster.state.exits.filter { $0.key == key }.count
        let log = cluster.directory.outputLog(key).path
        if exits > configuration.maxRestartsBeforeDegraded {
            cluster.degraded.insert(key)
            cluster.phase = .degraded
            cluster.reason = "\(key) exited \(exits) times in \(Self.describe(window)); last \(exit); see \(log)"
            cluster.state.degradedReason = cluster.reason
            return
        }
        let backoff = configuration.restartBackoff
        let delay = min(backoff.initial * (1 << min(exits - 1, 30)), backoff.max)
        cluster.pendingRestarts[key] = ContinuousClock.now + delay
        guard cluster.phase != .degraded else { return }
        cluster.phase = .restarting
        cluster.reason = "\(key) exited (\(exit)); restart \(exits) of at most \(configuration.maxRestartsBeforeDegraded) "
            + "in \(Self.describe(window)) in \(decimalText(delay.seconds, decimals: 1)) s; see \(log)"
    }

    /// Before a JobManager restart: its REST and RPC ports are reused so the endpoint stays the same;
    /// when another process took one of them, new ports are chosen, conf/ is rewritten and the
    /// TaskManagers (which would keep looking for the old address) are restarted too.
    private func movePortsIfTaken(_ cluster: ManagedCluster) async {
        let host = configuration.bindAddress
        guard !PortAllocator.isFree(cluster.state.restPort, host: host) || !PortAllocator.isFree(cluster.state.rpcPort, host: host),
              let rest = try? PortAllocator.freePort(host: host), let rpc = try? PortAllocator.freePort(host: host), rest != rpc else {
            return
        }
        guard (try? cluster.directory.prepare(plan: cluster.state.plan, restPort: rest, rpcPort: rpc, configuration: configuration)) != nil else {
            return
        }
        cluster.state.restPort = rest
        cluster.state.rpcPort = rpc
        let taskManagers = cluster.state.processes.filter { $0.key.role == .taskManager }
        cluster.state.processes.removeAll { $0.key.role == .taskManager }
        for record in taskManagers { cluster.pendingRestarts[record.key] = ContinuousClock.now }
        let grace = configuration.stopGracePeriod
        await withTaskGroup(of: Void.self) { group in
            for record in taskManagers {
                group.addTask { await ProcessTable.endGroup(record.pid, startTime: record.startTime, grace: grace) }
            }
        }
    }

    private func rotateLogs(of cluster: ManagedCluster) {
        let rotator = LogRotator(maxBytes: configuration.logMaxBytes, keep: configuration.logFiles)
        for key in cluster.expectedKeys { _ = try? rotator.rotateIfNeeded(cluster.directory.outputLog(key).path) }
    }

    /// The ids of the TaskManagers the JobManager lists (`/taskmanagers`), or nil when it does not answer.
    private func registeredTaskManagers(_ cluster: ManagedCluster) async -> [String]? {
        let answer = await getJSON(endpoint(cluster).restURL.appendingPathComponent("taskmanagers"))
        guard let taskManagers = answer?["taskmanagers"]?.listValue, taskManagers.allSatisfy({ $0.mapValue != nil }) else { return nil }
        return taskManagers.compactMap { $0["id"]?.stringValue }
    }

    /// Whether every TaskManager process runs and is registered under the resource id it was started
    /// with (records from before resource ids count by number).
    private func allRegistered(_ cluster: ManagedCluster, _ registered: [String]) -> Bool {
        let taskManagers = cluster.state.processes.filter { $0.key.role == .taskManager }
        guard taskManagers.count == cluster.state.plan.taskManagers,
              cluster.record(.jobManager) != nil, registered.count >= taskManagers.count else { return false }
        return taskManagers.allSatisfy { record in record.resourceID.map(registered.contains) ?? true }
    }

    /// Reads the recorded job's latest completed checkpoint (adopting the newest running job when the
    /// driver has not recorded one) and keeps it in the durable state when it changed.
    private func pollCheckpoint(_ cluster: ManagedCluster) async {
        let base = endpoint(cluster).restURL
        guard let overview = await getJSON(base.appendingPathComponent("jobs/overview")),
              let jobs = overview["jobs"]?.listValue, jobs.allSatisfy({ $0.mapValue != nil }) else { return }
        var jobID = cluster.state.jobID
        // Until the driver records its job, follow the newest running one. A recorded job is never
        // replaced here: after a JobManager restart the driver resubmits and records the new id.
        if jobID == nil {
            let running = jobs.filter { $0["state"]?.stringValue == "RUNNING" }
            jobID = running.max { ($0["start-time"]?.intValue ?? 0) < ($1["start-time"]?.intValue ?? 0) }?["jid"]?.stringValue
        }
        guard let jobID, jobs.contains(where: { $0["jid"]?.stringValue == jobID }),
              let checkpoints = await getJSON(base.appendingPathComponent("jobs/\(jobID)/checkpoints")),
              let path = Self.latestCompletedCheckpoint(checkpoints) else { return }
        guard cluster.state.latestCheckpoint != path || cluster.state.jobID != jobID else { return }
        cluster.state.jobID = jobID
        cluster.state.latestCheckpoint = path
        try? cluster.save()
    }

    /// `latest.completed.external_path` of a `/jobs/<id>/checkpoints` answer.
    static func latestCompletedCheckpoint(_ checkpoints: Value) -> String? {
        checkpoints[path: "latest", "completed", "external_path"]?.stringValue
    }

    /// The JSON object `url` answers with; nil when it does not answer one.
    private func getJSON(_ url: URL) async -> Value? {
        var request = HTTPRequest(.GET, url)
        request.timeout = .seconds(3)
        guard let response = try? await http.send(request), response.isSuccess else { return nil }
        guard let answer = try? JSON.decode([UInt8](response.body)), answer.mapValue != nil else { return nil }
        return answer
    }

    static func describe(_ seconds: Double) -> String {
        if seconds >= 120, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) minutes" }
        return "\(Int(seconds)) s"
    }
}
