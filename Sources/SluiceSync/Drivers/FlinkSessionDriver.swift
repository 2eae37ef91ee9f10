import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceSpec
import SluiceYAML

/// The `flink` driver: a Flink session cluster reached over its REST API. Each FlinkDeployment or
/// FlinkSessionJob with a `spec.job` becomes a job on that cluster, under a Sluice job id.
///
/// Live state is the cluster's job list (Sluice job ids say which object and spec a job runs),
/// refined by the `AppliedStore` (the applied spec, for field diffs). Lifecycle steps go through
/// `JobLifecycle`, which journals them.
public struct FlinkSessionDriver: ClusterDriver {
    public let cluster: ClusterSpec
    public let lifecycle: JobLifecycle
    public let store: AppliedStore

    public init(cluster: ClusterSpec, lifecycle: JobLifecycle, store: AppliedStore) {
        self.cluster = cluster
        self.lifecycle = lifecycle
        self.store = store
    }

    private var client: FlinkClient { lifecycle.client }

    private func owner(_ identity: ObjectIdentity) -> JobOwner {
        JobOwner(cluster: cluster.name, object: identity.description)
    }

    // MARK: Live state

    public func liveState(desired: [ObjectIdentity]) async throws -> [LiveObject] {
        let jobs = try await client.jobs().sorted { $0.startTime > $1.startTime }
        var live: [LiveObject] = []
        var claimed = Set<String>()
        for entry in store.all {
            let owner = owner(entry.identity)
            let own = jobs.filter { owner.owns($0.id) }
            claimed.formUnion(own.map(\.id))
            guard let value = entry.value else { continue }
            live.append(LiveObject(identity: entry.identity, value: value, health: Self.quickHealth(value, own)))
        }
        // Jobs of desired objects this host has no record of (a lost store): owned, spec unknown,
        // so the planner sees a change and upgrades them with their state.
        for identity in desired where store[identity] == nil {
            let owner = owner(identity)
            let own = jobs.filter { owner.owns($0.id) }
            guard let active = own.first(where: { !$0.state.isTerminal }) else { continue }
            claimed.formUnion(own.map(\.id))
            live.append(LiveObject(identity: identity, value: Self.unknownSpec(identity, jobID: active.id),
                                   health: Self.quickHealth(nil, own)))
        }
        // Running Sluice jobs nobody claims: left over from an object removed from Git.
        for job in jobs where JobOwner.isSluiceJob(job.id) && !job.state.isTerminal && !claimed.contains(job.id) {
            let identity = ObjectIdentity(group: KnownKinds.flinkGroup, kind: "FlinkDeployment", namespace: nil, name: "job-\(job.id)")
            live.append(LiveObject(identity: identity, value: Self.unknownSpec(identity, jobID: job.id),
                                   health: Health(.healthy, "job \(job.name) \(job.state.rawValue)")))
        }
        return live
    }

    /// An owned object whose spec Sluice does not know, standing for a job it finds running.
    static func unknownSpec(_ identity: ObjectIdentity, jobID: String) -> Value {
        var metadata: [(String, Value)] = [("name", .string(identity.name))]
        if let namespace = identity.namespace { metadata.append(("namespace", .string(namespace))) }
        metadata.append(("labels", .map(Mapping([.init(key: Ownership.managedByLabel, value: .string(Ownership.managedByValue))]))))
        metadata.append(("annotations", .map(Mapping([.init(key: jobIDAnnotation, value: .string(jobID))]))))
        return .map(Mapping([
            .init(key: "apiVersion", value: .string(KnownKinds.flinkAPIVersion)),
            .init(key: "kind", value: .string(identity.kind)),
            .init(key: "metadata", value: .map(Mapping(metadata.map { .init(key: $0.0, value: $0.1) }))),
        ]))
    }

    /// Marks a live object that stands for a job found on the cluster.
    static let jobIDAnnotation = "sluice.dev/job-id"

    static func quickHealth(_ value: Value?, _ jobs: [JobSummary]) -> Health {
        if let value, let spec = JobSpec(value), spec.state == .suspended { return Health(.suspended, "spec.job.state is suspended") }
        if value.flatMap(JobSpec.init) == nil, value != nil { return Health(.healthy, "session cluster definition; no job") }
        guard let newest = jobs.first else { return Health(.missing, "no job on the cluster") }
        switch newest.state {
        case .running: return Health(.healthy, "job \(newest.id) RUNNING")
        case .failed, .canceled, .finished: return Health(.degraded, "job \(newest.id) \(newest.state.rawValue)")
        case .failing, .restarting: return Health(.degraded, "job \(newest.id) \(newest.state.rawValue)")
        default: return Health(.progressing, "job \(newest.id) \(newest.state.rawValue)")
        }
    }

    // MARK: Apply

    public func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        let identity = action.identity
        let owner = owner(identity)
        let previous = store[identity]
        let context = JobLifecycle.Context(owner: owner, revision: action.desired.flatMap(Self.revision),
                                           specHash: action.desired?.specHash ?? previous?.specHash)
        let jobs = try await lifecycle.jobs(of: owner)
        let active = jobs.first { !$0.state.isTerminal }
        let lastSavepoint = active == nil ? try await newestState(jobs, identity: identity, previous: previous) : nil

        if action.kind == .delete {
            let spec = action.live.flatMap { JobSpec($0.value) }
            let transition = try await lifecycle.delete(active, spec, context)
            try store.set(identity, nil)
            return ActionOutcome(succeeded: true, message: transition.message, savepointPath: transition.savepointPath)
        }
        guard [.create, .update, .upgrade, .rescale, .redeploy, .savepoint, .suspend, .resume].contains(action.kind),
              let desired = action.desired else {
            return ActionOutcome(succeeded: true, message: "nothing to do")
        }
        guard let spec = JobSpec(desired.value) else {
            try record(desired, jobID: nil, savepoint: nil)
            return ActionOutcome(succeeded: true, message: "session cluster definition recorded; it runs no job on a session cluster")
        }
        let transition: JobLifecycle.Transition
        switch action.kind {
        case .create: transition = active == nil
            ? try await lifecycle.deploy(spec, context)
            : try await lifecycle.upgrade(active, to: spec, context, lastSavepoint: lastSavepoint)
        case .upgrade, .rescale, .resume: transition = try await lifecycle.upgrade(active, to: spec, context, lastSavepoint: lastSavepoint)
        case .suspend: transition = try await lifecycle.suspend(active, spec, context)
        case .savepoint: transition = try await lifecycle.savepoint(active, spec, context)
        case .redeploy: transition = try await lifecycle.redeploy(active, spec, context)
        default: transition = .init(jobID: active?.id, savepointPath: nil, message: "recorded; the change needs no restart")
        }
        try record(desired, jobID: transition.jobID ?? (spec.state == .running ? active?.id : nil),
                   savepoint: transition.savepointPath ?? lastSavepoint ?? previous?.savepointPath)
        return ActionOutcome(succeeded: true, message: transition.message, savepointPath: transition.savepointPath)
    }

    /// Where a job that is not running resumes from: the newest checkpoint or savepoint of its
    /// last job while the cluster remembers it, else the newest savepoint Sluice recorded.
    private func newestState(_ jobs: [JobSummary], identity: ObjectIdentity, previous: AppliedStore.Entry?) async throws -> String? {
        if let last = jobs.first, let state = try await lifecycle.latestState(of: last.id) { return state }
        return try lifecycle.journal.latestSavepoint(cluster: cluster.name, object: identity.description) ?? previous?.savepointPath
    }

    private func record(_ desired: DesiredObject, jobID: String?, savepoint: String?) throws {
        try store.set(desired.identity, AppliedStore.Entry(
            identity: desired.identity, object: JSON.encode(desired.value, sortedKeys: true), specHash: desired.specHash,
            jobID: jobID, savepointPath: savepoint, appliedAt: Date()))
    }

    static func revision(_ object: DesiredObject) -> String? {
        object.value[path: "metadata", "annotations", Ownership.revisionAnnotation]?.stringValue
    }

    // MARK: Health

    /// Healthy when the job runs with all its tasks and, for a stateful job, has completed a
    /// checkpoint since the last change: only then is a new spec proven to keep its state.
    public func health(of identity: ObjectIdentity) async throws -> Health {
        guard let entry = store[identity], let value = entry.value else { return Health(.missing, "not applied to \(cluster.name)") }
        guard let spec = JobSpec(value) else { return Health(.healthy, "session cluster definition; no job") }
        if spec.state == .suspended { return Health(.suspended, "spec.job.state is suspended") }
        let jobs = try await lifecycle.jobs(of: owner(identity))
        guard let job = jobs.first(where: { !$0.state.isTerminal }) ?? jobs.first else {
            return Health(.missing, "no job for it on \(cluster.name)")
        }
        switch job.state {
        case .running: break
        case .failed, .canceled, .finished: return Health(.degraded, "job \(job.id) is \(job.state.rawValue)")
        case .failing, .restarting: return Health(.degraded, "job \(job.id) is \(job.state.rawValue): it failed and Flink is restarting it")
        default: return Health(.progressing, "job \(job.id) is \(job.state.rawValue)")
        }
        guard let details = try await client.job(job.id) else { return Health(.progressing, "job \(job.id) is starting") }
        let running = details.vertices.filter { $0.status == "RUNNING" }.count
        guard running == details.vertices.count else {
            return Health(.progressing, "job \(job.id): \(running) of \(details.vertices.count) tasks running")
        }
        guard spec.isStateful else { return Health(.healthy, "job \(job.id) RUNNING") }
        let appliedAt = Int64(entry.appliedAt.timeIntervalSince1970 * 1000)
        guard let checkpoint = try await client.checkpoints(job.id)?.latestCompleted, checkpoint.triggerTimestamp >= appliedAt else {
            return Health(.progressing, "job \(job.id) RUNNING; waiting for its first checkpoint since the change")
        }
        return Health(.healthy, "job \(job.id) RUNNING; checkpoint \(checkpoint.id) completed")
    }
}
