#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceSpec
import SluiceYAML

/// The bundled runtime: FlinkDeployments and FlinkSessionJobs on this host, with no Kubernetes.
///
/// A FlinkDeployment gets its own JobManager and TaskManagers from the `FlinkSupervisor`
/// (application mode; a deployment without `spec.job` is a session cluster for
/// FlinkSessionJobs); its job goes through the same `JobReconciler` as on a Flink session
/// cluster, so upgrades, suspend/resume and savepoints mean the same everywhere. The runtime
/// keeps its desired state on disk and recovers a job whose JobManager crashed from the latest
/// checkpoint the supervisor recorded. A FlinkBlueGreenDeployment runs as the application
/// deployment of its `spec.template.spec`; its transition starts green beside blue on the same
/// JobManager (the process plan holds slots for both, docs/runtime.md).
public actor FlinkRuntime {
    public let cluster: String
    public let supervisor: FlinkSupervisor
    public let journal: Journal
    public let store: AppliedStore
    /// The cross-process lock of this runtime (see `ClusterLock`), in its state directory.
    public nonisolated let lockFile: URL
    private let http: HTTPClient
    let jarStore: JarStore
    private let startupTimeout: Duration
    private let operationTimeout: Duration
    /// The runtime's own state directory: savepoints and checkpoints may always go there.
    private let stateDirectory: String
    /// Deployments with an apply or a recovery in flight, and who waits for them.
    private var busy: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init(cluster: String, configuration: RuntimeConfiguration, journal: Journal, repository: (any SourceTree)? = nil,
                startupTimeout: Duration = .seconds(120), operationTimeout: Duration = .seconds(600)) throws {
        self.cluster = cluster
        supervisor = try FlinkSupervisor(configuration: configuration)
        self.journal = journal
        store = try AppliedStore(directory: configuration.stateDirectory.appendingPathComponent("applied"), cluster: cluster)
        lockFile = configuration.stateDirectory.appendingPathComponent("sluice.lock")
        http = HTTPClient()
        jarStore = JarStore(directory: configuration.stateDirectory.appendingPathComponent("jars"), http: http, repository: repository)
        self.startupTimeout = startupTimeout
        self.operationTimeout = operationTimeout
        stateDirectory = configuration.stateDirectory.path
    }

    /// The Flink settings and job fields whose values are paths on this host when they are local.
    static let hostPathSettings = ["execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                                   "state.checkpoints.dir", "state.savepoints.dir"]

    /// Refuses a spec that points this host's Flink processes at folders outside the allowed roots
    /// (and the runtime's own state directory): savepoints are written and read there.
    /// A FlinkBlueGreenDeployment is checked at its child spec, `spec.template.spec`, the one it runs.
    /// The jar is checked here too, before any process starts.
    func checkHostPaths(_ desired: Value?) throws {
        guard let desired else { return }
        let isBlueGreen = desired["kind"]?.stringValue == JobLifecycle.blueGreenKind
        let field = isBlueGreen ? "spec.template.spec" : "spec"
        guard let spec = isBlueGreen ? desired[path: "spec", "template", "spec"] : desired["spec"] else { return }
        // Flattened as the processes' config.yaml gets it: a nested `execution: {checkpointing: …}` is checked too.
        let configuration = (try? FlinkProcessPlan.flatConfiguration(spec["flinkConfiguration"], field: field)) ?? [:]
        var named: [(String, String)] = Self.hostPathSettings.compactMap { key in
            configuration[key].map { ("\(field).flinkConfiguration.\(key)", $0) }
        }
        for key in ["initialSavepointPath", "jarURI"] {
            if let path = spec[path: "job", key]?.stringValue { named.append(("\(field).job.\(key)", path)) }
        }
        for (field, value) in named where value.hasPrefix("file:") || value.hasPrefix("/") {
            do {
                try HostPathPolicy.shared.check(value, field: field, extraRoots: [stateDirectory])
            } catch {
                throw FlinkError("\(error.message) on runtime \(cluster)", hint: error.hint)
            }
        }
    }

    /// The supervisor's name for the processes of a deployment.
    /// A FlinkBlueGreenDeployment's carries a suffix no Kubernetes name has (`_`), so it never
    /// shares processes with a FlinkDeployment of the same name.
    static func processName(_ identity: ObjectIdentity) -> String {
        "\(identity.namespace ?? "default").\(identity.name)" + (identity.kind == JobLifecycle.blueGreenKind ? "_bluegreen" : "")
    }

    func reconciler(_ endpoint: URL) -> JobReconciler {
        var lifecycle = JobLifecycle(cluster: cluster, client: FlinkClient(baseURL: endpoint, http: http), journal: journal,
                                     jars: jarStore, operationTimeout: operationTimeout)
        lifecycle.trustedRoots = [stateDirectory]
        return JobReconciler(lifecycle: lifecycle, store: store)
    }

    /// The deployment whose JobManager runs the job of `identity`: itself, or for a session job
    /// the session deployment it names.
    func host(of identity: ObjectIdentity, value: Value?) -> ObjectIdentity {
        guard identity.kind == "FlinkSessionJob", let deployment = value?[path: "spec", "deploymentName"]?.stringValue else { return identity }
        return ObjectIdentity(group: identity.group, kind: "FlinkDeployment", namespace: identity.namespace, name: deployment)
    }

    // MARK: Live state

    /// Every object the runtime runs, with its health: the supervisor's view of the processes
    /// and each JobManager's view of its job.
    public func liveState() async throws -> [LiveObject] {
        var live: [LiveObject] = []
        for entry in store.all {
            guard let value = entry.value else { continue }
            let host = host(of: entry.identity, value: value)
            let status = await supervisor.status(of: Self.processName(host))
            guard let status, let url = status.restURL, status.phase == .running else {
                var object = LiveObject(identity: entry.identity, value: value, health: Self.processHealth(status, value: value))
                // Processes that are gone or stopped run no job: an applied running job there is lost.
                if entry.jobID != nil, JobSpec(value)?.state == .running, status == nil || status?.phase == .stopped {
                    object.isLost = true
                    object.health = Health(.degraded, "lost: the processes of \(entry.identity.name) are \(status?.phase.rawValue ?? "gone") and its job \(entry.jobID ?? "") with them")
                }
                live.append(object)
                continue
            }
            let objects = (try? await reconciler(url).liveState(desired: [], only: [entry.identity])) ?? []
            live += objects.isEmpty ? [LiveObject(identity: entry.identity, value: value, health: Health(.unknown, "JobManager at \(url) did not answer"))] : objects
        }
        return live
    }

    /// The health of an object whose processes are not running.
    static func processHealth(_ status: ClusterStatus?, value: Value) -> Health {
        if JobSpec(value)?.state == .suspended { return Health(.suspended, "spec.job.state is suspended") }
        guard let status else { return Health(.missing, "no processes") }
        let reason = status.reason.map { ": \($0)" } ?? ""
        switch status.phase {
        case .starting, .restarting: return Health(.progressing, "processes \(status.phase.rawValue)\(reason)")
        case .degraded: return Health(.degraded, status.reason ?? "processes degraded")
        case .stopped, .running: return Health(.missing, "processes \(status.phase.rawValue)\(reason)")
        }
    }

    // MARK: Apply

    /// Carries out one planned change.
    public func apply(_ change: JobChange) async throws -> JobLifecycle.Transition {
        try checkHostPaths(change.desired)
        let name = Self.processName(host(of: change.identity, value: change.desired ?? change.live))
        return try await exclusively(name) {
            try await perform(change, name: name)
        }
    }

    /// Runs `body` while no other apply or recovery of the deployment `name` runs. Actor methods
    /// interleave at every `await`: without this, a recovery could see the gap inside a savepoint
    /// upgrade (old job stopped, new one not yet submitted) as a lost job and restart it.
    private func exclusively<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        while busy.contains(name) {
            await withCheckedContinuation { waiting[name, default: []].append($0) }
        }
        busy.insert(name)
        defer {
            busy.remove(name)
            for waiter in waiting.removeValue(forKey: name) ?? [] { waiter.resume() }
        }
        return try await body()
    }

    private func perform(_ change: JobChange, name: String) async throws -> JobLifecycle.Transition {
        let identity = change.identity, desired = change.desired, live = change.live
        if identity.kind == "FlinkSessionJob" {
            let host = host(of: identity, value: desired ?? live)
            guard let status = await supervisor.status(of: name), let url = status.restURL else {
                throw FlinkError("session job \(identity) needs the session cluster \(host) on \(cluster), which is not running",
                                 hint: "add a FlinkDeployment named \(host.name) without spec.job to the same environment")
            }
            return try await reconciler(url).apply(change)
        }
        switch change.kind {
        case .delete:
            var transition: JobLifecycle.Transition?
            if let url = try await running(name) {
                transition = try await reconciler(url).apply(change)
            }
            await supervisor.stop(name)
            try store.set(identity, nil)
            return transition ?? .init(jobID: nil, savepointPath: nil, message: "stopped")
        case .suspend:
            let url = try await ensureRunning(desired, name: name)
            let transition = try await reconciler(url).apply(change)
            // A suspended deployment gives its memory back; resume starts it again from the savepoint.
            await supervisor.stop(name)
            return transition
        default:
            if let desired, let live, try FlinkProcessPlan.from(deployment: desired) != (try? FlinkProcessPlan.from(deployment: live)),
               let url = try await running(name) {
                if identity.kind == JobLifecycle.blueGreenKind {
                    // Green runs on blue's JobManager: new processes would stop blue before green is healthy.
                    throw FlinkError("\(identity) on \(cluster): the change needs new JobManager/TaskManager processes (memory, slots, TaskManagers or cluster configuration), which the runtime cannot do as a blue/green transition; nothing was changed, blue keeps running",
                                     hint: "set spec.template.spec.job.state: suspended and sync (a savepoint is taken), then make the change with state: running and sync again")
                }
                // Refuse before stopping anything: a plan that does not fit must leave the running job alone.
                try await checkJar(desired, name: name)
                var plan = try FlinkProcessPlan.from(deployment: desired)
                plan.name = name
                try await supervisor.checkBudget(plan)
                // New memory, slots or TaskManagers: stop the job with a savepoint, replace the
                // processes, and start the new spec from the savepoint on the new JobManager. The
                // stop is journalled under the revision the live spec came from.
                let liveRevision = LiveObject(identity: identity, value: live).revision
                let stop = change.step(.suspend, desired: live, specHash: nil, revision: liveRevision, allowStateLoss: false)
                let stopped = try await reconciler(url).apply(stop)
                await supervisor.stop(name)
                let newURL = try await ensureRunning(desired, name: name)
                let start = change.step(.resume, desired: desired, specHash: change.specHash, revision: change.revision, allowStateLoss: false)
                var transition = try await reconciler(newURL).apply(start)
                transition.message = "processes replaced; \(stopped.message); \(transition.message)"
                return transition
            }
            try await checkJar(desired, name: name)
            let url = try await ensureRunning(desired, name: name)
            let transition = try await reconciler(url).apply(change)
            if let job = transition.jobID { await supervisor.recordJob(name: name, jobID: job) }
            return transition
        }
    }

    private func ensureRunning(_ desired: Value?, name: String) async throws -> URL {
        guard let desired else { throw FlinkError("cannot start \(name) on \(cluster) without its spec") }
        var plan = try FlinkProcessPlan.from(deployment: desired)
        plan.name = name
        return try await supervisor.ensureRunning(plan, startupTimeout: startupTimeout).restURL
    }

    private func running(_ name: String) async throws -> URL? {
        guard let status = await supervisor.status(of: name), status.phase == .running || status.phase == .restarting else { return nil }
        return status.restURL
    }

    // MARK: Health

    /// The job's health on its JobManager, or the processes' when they are not running.
    public func health(of identity: ObjectIdentity) async throws -> Health {
        guard let entry = store[identity], let value = entry.value else { return Health(.missing, "not applied to \(cluster)") }
        if JobSpec(value)?.state == .suspended { return Health(.suspended, "spec.job.state is suspended") }
        let name = Self.processName(host(of: identity, value: value))
        guard let status = await supervisor.status(of: name) else { return Health(.missing, "no processes for \(name)") }
        guard status.phase == .running else { return Self.processHealth(status, value: value) }
        guard let url = status.restURL else { return Health(.progressing, "JobManager starting") }
        return try await reconciler(url).health(of: identity)
    }

    // MARK: Recovery

    /// The newest complete checkpoint (`chk-N` with its `_metadata`) beside `recorded`. The
    /// supervisor's record lags the job by a poll interval, and Flink deletes a checkpoint once a
    /// newer one completes, so the recorded one may already be gone.
    static func newestRetainedCheckpoint(near recorded: String?) -> String? {
        guard let recorded, recorded.hasPrefix("file:") else { return recorded }
        let path = URL(string: recorded)?.path ?? String(recorded.dropFirst("file:".count))
        let jobDirectory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: jobDirectory.path)) ?? []
        let complete = entries.compactMap { name -> Int? in
            guard name.hasPrefix("chk-"), let number = Int(name.dropFirst(4)),
                  FileManager.default.fileExists(atPath: jobDirectory.appendingPathComponent("\(name)/_metadata").path) else { return nil }
            return number
        }
        guard let newest = complete.max() else { return nil }
        return "file:" + jobDirectory.appendingPathComponent("chk-\(newest)").path
    }

    /// Restarts the job of every running deployment whose JobManager lost it (a JobManager
    /// crash, without HA services): from the latest checkpoint the supervisor recorded, else the
    /// newest savepoint. Long-running hosts (`sluice runtime`, `sluice serve`) call this periodically.
    @discardableResult
    public func recoverLostJobs() async -> [String] {
        // Another Sluice process changing this runtime owns its jobs until it lets go: a recovery
        // racing its upgrade would restart the old spec from an older state.
        guard (try? await ClusterLock.acquire(lockFile, cluster: cluster, command: ClusterLock.processCommand)) != nil else { return [] }
        var recovered: [String] = []
        for entry in store.all where ["FlinkDeployment", JobLifecycle.blueGreenKind].contains(entry.identity.kind) {
            let name = Self.processName(entry.identity)
            // A deployment being applied is the apply's to finish; the next round looks again.
            guard !busy.contains(name) else { continue }
            if let line = await exclusively(name, { await recover(name: name, identity: entry.identity) }) { recovered.append(line) }
        }
        return recovered
    }

    /// Restarts the job of one deployment if its JobManager runs without it.
    private func recover(name: String, identity: ObjectIdentity) async -> String? {
        // Read again under the lock: an apply that just finished may have changed the entry.
        guard let entry = store[identity], let value = entry.value, let spec = JobSpec(value), spec.state == .running else { return nil }
        guard let status = await supervisor.status(of: name), status.phase == .running, let url = status.restURL else { return nil }
        let reconciler = reconciler(url)
        guard let jobs = try? await reconciler.lifecycle.jobs(of: reconciler.owner(entry.identity)),
              !jobs.contains(where: { !$0.state.isTerminal }) else { return nil }
        let checkpoint = Self.newestRetainedCheckpoint(near: await supervisor.latestCheckpoint(of: name))
        let search = await reconciler.lifecycle.locateState(of: reconciler.owner(entry.identity), spec: spec, recorded: entry.savepointPath)
        // The supervisor's record covers a checkpoint directory the JobManager's configuration may not name.
        let recorded = checkpoint.map { StateLocator.newestRetainedCheckpoint(near: $0) ?? RestorePoint(path: $0, timestamp: 0, source: "supervisor") }
        let restore = [search.newest, recorded].compactMap { $0 }.max { $0.timestamp < $1.timestamp }?.path
        // A stateful job is never restarted without its state: that needs a person (`sync --allow-state-loss`).
        if spec.isStateful, restore == nil {
            return "\(entry.identity) lost its job and no state of it was found (looked in: \(search.searched.joined(separator: "; "))); not restarted"
        }
        let context = JobLifecycle.Context(owner: reconciler.owner(entry.identity), revision: entry.revision, specHash: entry.specHash)
        guard let job = try? await reconciler.lifecycle.submit(spec, context, restoreFrom: spec.isStateful ? restore : nil) else { return nil }
        await supervisor.recordJob(name: name, jobID: job)
        var updated = entry
        updated.jobID = job
        try? store.set(entry.identity, updated)
        return "\(entry.identity) restarted as job \(job)\(restore.map { " from \($0)" } ?? "")"
    }
}
