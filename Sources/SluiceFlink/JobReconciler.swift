#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceSpec
import SluiceYAML

/// Applies planned steps to the Flink objects of one JobManager and reads their live state and
/// health back: the part shared by the `flink` driver (a session cluster) and the runtime (a
/// JobManager per deployment).
///
/// Live state is the JobManager's job list (Sluice job ids say which object and spec a job
/// runs), refined by the `AppliedStore` (the applied spec, for field diffs).
public struct JobReconciler: Sendable {
    public let lifecycle: JobLifecycle
    public let store: AppliedStore

    public init(lifecycle: JobLifecycle, store: AppliedStore) {
        self.lifecycle = lifecycle
        self.store = store
    }

    public var cluster: String { lifecycle.cluster }
    var client: FlinkClient { lifecycle.client }

    public func owner(_ identity: ObjectIdentity) -> JobOwner {
        JobOwner(cluster: cluster, object: identity.description)
    }

    // MARK: Live state

    /// The objects recorded in the store with their jobs' health, objects of `desired` whose jobs
    /// run without a record (a lost store), and running Sluice jobs nobody claims (prunable).
    /// `only` limits the store entries considered (the runtime keeps several JobManagers in one store).
    public func liveState(desired: [ObjectIdentity], only: Set<ObjectIdentity>? = nil) async throws -> [LiveObject] {
        let jobs = try await client.jobs().sorted { $0.startTime > $1.startTime }
        // Each object's jobs by their owner part, found once: scanning every job for every
        // object costs objects × jobs, a million checks for a thousand jobs.
        let jobsByOwner = Dictionary(grouping: jobs.filter { $0.id.hasPrefix(JobOwner.mark) }) { JobOwner.ownerPrefix(ofJobID: $0.id) }
        func ownedJobs(_ owner: JobOwner) -> [JobSummary] { jobsByOwner[owner.jobIDPrefix] ?? [] }
        var live: [LiveObject] = []
        var claimed = Set<String>()
        for entry in store.all where only?.contains(entry.identity) ?? true {
            let own = ownedJobs(owner(entry.identity))
            claimed.formUnion(own.map(\.id))
            guard let value = entry.value else { continue }
            if Self.isLost(entry, own) {
                var object = LiveObject(identity: entry.identity, value: value, health: Self.lostHealth(entry, own, cluster: cluster))
                object.isLost = true
                live.append(object)
                continue
            }
            live.append(LiveObject(identity: entry.identity, value: value, health: Self.quickHealth(value, own)))
        }
        for identity in desired where store[identity] == nil {
            let own = ownedJobs(owner(identity))
            guard let active = own.first(where: { !$0.state.isTerminal }) else { continue }
            claimed.formUnion(own.map(\.id))
            live.append(LiveObject(identity: identity, value: Self.unknownSpec(identity, jobID: active.id), health: Self.quickHealth(nil, own)))
        }
        if only == nil {
            for job in jobs where JobOwner.isSluiceJob(job.id) && !job.state.isTerminal && !claimed.contains(job.id) {
                let identity = ObjectIdentity(group: KnownKinds.flinkGroup, kind: "FlinkDeployment", namespace: nil, name: "job-\(job.id)")
                live.append(LiveObject(identity: identity, value: Self.unknownSpec(identity, jobID: job.id),
                                       health: Health(.healthy, "job \(job.name) \(job.state.rawValue)")))
            }
        }
        return live
    }

    /// An owned object whose spec Sluice does not know, standing for a job it finds running.
    static func unknownSpec(_ identity: ObjectIdentity, jobID: String) -> Value {
        var metadata: [Mapping.Entry] = [.init(key: "name", value: .string(identity.name))]
        if let namespace = identity.namespace { metadata.append(.init(key: "namespace", value: .string(namespace))) }
        metadata.append(.init(key: "labels", value: .map(Mapping([.init(key: Ownership.managedByLabel, value: .string(Ownership.managedByValue))]))))
        metadata.append(.init(key: "annotations", value: .map(Mapping([.init(key: jobIDAnnotation, value: .string(jobID))]))))
        return .map(Mapping([
            .init(key: "apiVersion", value: .string(KnownKinds.flinkAPIVersion)),
            .init(key: "kind", value: .string(identity.kind)),
            .init(key: "metadata", value: .map(Mapping(metadata))),
        ]))
    }

    /// Whether Sluice applied and recorded a running job for `entry` that the cluster no longer
    /// runs: gone (a restarted cluster forgets its jobs) or in a terminal state.
    static func isLost(_ entry: AppliedStore.Entry, _ jobs: [JobSummary]) -> Bool {
        guard entry.jobID != nil, let value = entry.value, let spec = JobSpec(value), spec.state == .running else { return false }
        return !jobs.contains { !$0.state.isTerminal }
    }

    static func lostHealth(_ entry: AppliedStore.Entry, _ jobs: [JobSummary], cluster: String) -> Health {
        let job = entry.jobID ?? "?"
        if let known = jobs.first(where: { $0.id == job }) ?? jobs.first {
            return Health(.degraded, "lost: job \(known.id) is \(known.state.rawValue) on \(cluster) and nothing runs in its place")
        }
        return Health(.degraded, "lost: job \(job) is gone from \(cluster) (the cluster restarted or forgot it)")
    }

    /// Marks a live object that stands for a job found on the cluster.
    public static let jobIDAnnotation = "sluice.dev/job-id"

    static func quickHealth(_ value: Value?, _ jobs: [JobSummary]) -> Health {
        if let value, let spec = JobSpec(value), spec.state == .suspended { return Health(.suspended, "spec.job.state is suspended") }
        if let value, JobSpec(value) == nil { return Health(.healthy, "session cluster definition; no job") }
        guard let newest = jobs.first else { return Health(.missing, "no job on the cluster") }
        switch newest.state {
        case .running: return Health(.healthy, "job \(newest.id) RUNNING")
        case .failed, .canceled, .finished, .failing, .restarting: return Health(.degraded, "job \(newest.id) \(newest.state.rawValue)")
        default: return Health(.progressing, "job \(newest.id) \(newest.state.rawValue)")
        }
    }

    // MARK: Apply

    /// Carries out one planned change.
    public func apply(_ change: JobChange) async throws -> JobLifecycle.Transition {
        let identity = change.identity
        let owner = owner(identity)
        let previous = store[identity]
        let context = JobLifecycle.Context(owner: owner, revision: change.revision, specHash: change.specHash ?? previous?.specHash)
        let jobs = try await lifecycle.jobs(of: owner)
        let active = jobs.first { !$0.state.isTerminal }
        let restarts: Set<ActionKind> = [.create, .upgrade, .rescale, .resume, .restore]
        var lastSavepoint: String?
        if active == nil, restarts.contains(change.kind), let spec = change.desired.flatMap(JobSpec.init), spec.isStateful, spec.state == .running {
            lastSavepoint = try await stateToRestore(identity, spec: spec, previous: previous, allowStateLoss: change.allowStateLoss)
        }

        if change.kind == .delete {
            let transition = try await lifecycle.delete(active, change.live.flatMap(JobSpec.init), context)
            try store.set(identity, nil)
            return transition
        }
        guard let desired = change.desired, let specHash = change.specHash else {
            throw FlinkError("\(change.kind.rawValue) of \(identity) on \(cluster) needs the desired object")
        }
        guard let spec = JobSpec(desired) else {
            try record(change, desired, specHash: specHash, jobID: nil, savepoint: nil)
            return .init(jobID: nil, savepointPath: nil, message: "session cluster definition recorded; it runs no job by itself")
        }
        let transition: JobLifecycle.Transition
        switch change.kind {
        case .create: transition = active == nil && lastSavepoint == nil
            ? try await lifecycle.deploy(spec, context)
            : try await lifecycle.upgrade(active, to: spec, context, lastSavepoint: lastSavepoint)
        case .rescale:
            transition = try await rescale(active, to: spec, from: previous?.value.flatMap(JobSpec.init), context, lastSavepoint: lastSavepoint)
        case .upgrade where identity.kind == JobLifecycle.blueGreenKind && active?.state == .running:
            transition = try await lifecycle.blueGreenTransition(from: active!, to: spec, context)
        case .upgrade, .resume, .restore: transition = try await lifecycle.upgrade(active, to: spec, context, lastSavepoint: lastSavepoint)
        case .suspend: transition = try await lifecycle.suspend(active, spec, context)
        case .savepoint: transition = try await lifecycle.savepoint(active, spec, context)
        case .redeploy: transition = try await lifecycle.redeploy(active, spec, context)
        case .update, .delete: transition = .init(jobID: active?.id, savepointPath: nil, message: "recorded; the change needs no restart")
        case .none, .orphan, .conflict, .drift: return .init(jobID: active?.id, savepointPath: nil, message: "nothing to do")  // no JobChange has these
        }
        try record(change, desired, specHash: specHash, jobID: transition.jobID ?? (spec.state == .running ? active?.id : nil),
                   savepoint: transition.savepointPath ?? lastSavepoint ?? previous?.savepointPath)
        return transition
    }

    /// Whether a scale change of `identity` to `desired` can happen in place on the running job.
    public func inPlaceRescale(_ identity: ObjectIdentity, desired: Value) async -> JobLifecycle.InPlaceRescale {
        guard let spec = JobSpec(desired) else { return .impossible("the object runs no job") }
        guard let active = try? await lifecycle.activeJob(of: owner(identity)) else { return .impossible("no job is running") }
        return await lifecycle.inPlaceRescale(of: active, to: spec, from: store[identity]?.value.flatMap(JobSpec.init))
    }

    /// A scale change: in place when the adaptive scheduler can take it, else through the upgrade
    /// path, saying why.
    private func rescale(_ active: JobSummary?, to spec: JobSpec, from previous: JobSpec?, _ context: JobLifecycle.Context,
                         lastSavepoint: String?) async throws -> JobLifecycle.Transition {
        let why: String
        if let active {
            switch await lifecycle.inPlaceRescale(of: active, to: spec, from: previous) {
            case .possible(let targets): return try await lifecycle.rescaleInPlace(active, to: targets, context)
            case .impossible(let reason): why = reason
            }
        } else {
            why = "no job is running"
        }
        var transition = try await lifecycle.upgrade(active, to: spec, context, lastSavepoint: lastSavepoint)
        transition.message = "not rescaled in place (\(why)); \(transition.message)"
        return transition
    }

    /// Where a stateful job that is not running resumes from: the newest complete state any
    /// source holds (see `JobLifecycle.locateState`). A job that ran before never starts fresh
    /// unless allowed: finding no state is an error that says where Sluice looked.
    private func stateToRestore(_ identity: ObjectIdentity, spec: JobSpec, previous: AppliedStore.Entry?, allowStateLoss: Bool) async throws -> String? {
        let search = await lifecycle.locateState(of: owner(identity), spec: spec, recorded: previous?.savepointPath)
        if let newest = search.newest { return newest.path }
        let ranBefore = previous?.jobID != nil || previous?.savepointPath != nil
            || ((try? lifecycle.journal.records(cluster: cluster, object: identity.description)) ?? [])
                .contains { $0.step == .submit && $0.phase == .outcome && $0.succeeded == true }
        guard ranBefore, spec.initialSavepointPath == nil, !allowStateLoss else { return nil }
        throw FlinkError("found no state of \(identity) on \(cluster) to restore (looked in: \(search.searched.joined(separator: "; "))); refusing to start it fresh, which would drop its state",
                         hint: "set spec.job.initialSavepointPath to the savepoint to start from, or run sync with --allow-state-loss to start it without state")
    }

    private func record(_ change: JobChange, _ desired: Value, specHash: String, jobID: String?, savepoint: String?) throws {
        try store.set(change.identity, AppliedStore.Entry(identity: change.identity, object: JSON.encode(desired, sortedKeys: true), specHash: specHash,
                                                          jobID: jobID, savepointPath: savepoint, appliedAt: Date(), revision: change.revision))
    }

    // MARK: Health

    /// Healthy when the job runs with all its tasks and, for a stateful job, has completed a
    /// checkpoint since the last change: only then is a new spec proven to keep its state.
    public func health(of identity: ObjectIdentity) async throws -> Health {
        guard let entry = store[identity], let value = entry.value else { return Health(.missing, "not applied to \(cluster)") }
        guard let spec = JobSpec(value) else { return Health(.healthy, "session cluster definition; no job") }
        if spec.state == .suspended { return Health(.suspended, "spec.job.state is suspended") }
        let jobs = try await lifecycle.jobs(of: owner(identity))
        if Self.isLost(entry, jobs) { return Self.lostHealth(entry, jobs, cluster: cluster) }
        guard let job = jobs.first(where: { !$0.state.isTerminal }) ?? jobs.first else {
            return Health(.missing, "no job for it on \(cluster)")
        }
        let appliedAt = Int64(entry.appliedAt.timeIntervalSince1970 * 1000)
        switch job.state {
        case .running: break
        case .failed, .canceled, .finished:
            if job.state == .failed, let failure = await startFailure(of: job, since: appliedAt) { return failure }
            return Health(.degraded, "job \(job.id) is \(job.state.rawValue)")
        case .failing, .restarting:
            if let failure = await startFailure(of: job, since: appliedAt) { return failure }
            return Health(.degraded, "job \(job.id) is \(job.state.rawValue): it failed and Flink is restarting it")
        default: return Health(.progressing, "job \(job.id) is \(job.state.rawValue)")
        }
        // Uncached sources first (see HealthSources.swift): the overview's subtask counts, the
        // checkpoint directory; the cached /jobs/<id> only for a Flink that reports no counts.
        if let tasks = job.tasks {
            // Region failover restarts tasks while the job stays RUNNING: the history tells.
            guard tasks.allUp else { return await startFailure(of: job, since: appliedAt) ?? Health(.progressing, "job \(job.id): \(tasks.summary)") }
        } else {
            guard let details = try await client.job(job.id) else { return Health(.progressing, "job \(job.id) is starting") }
            let running = details.vertices.filter { $0.status == "RUNNING" }.count
            guard running == details.vertices.count else {
                return Health(.progressing, "job \(job.id): \(running) of \(details.vertices.count) tasks running")
            }
        }
        guard spec.isStateful else { return Health(.healthy, "job \(job.id) RUNNING") }
        guard let checkpoint = try await lifecycle.checkpointCompleted(of: job.id, since: appliedAt, spec: spec) else {
            return Health(.progressing, "job \(job.id) RUNNING; waiting for its first checkpoint since the change")
        }
        return Health(.healthy, "job \(job.id) RUNNING; checkpoint \(checkpoint.id) completed")
    }
}
