#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

/// The Flink Kubernetes Operator's job lifecycle, carried out over the REST API of one cluster:
/// submit, upgrade by `upgradeMode`, suspend and resume, savepoints on request, delete.
///
/// Every irreversible call is announced in the journal first with the ids it will use (job id,
/// trigger id) and its outcome recorded after, so an interrupted step is finished with the same
/// ids on the next run: a submission is never made twice and a stop is polled, not repeated.
public struct JobLifecycle: Sendable {
    public let cluster: String
    public let client: FlinkClient
    public let journal: Journal
    public let jars: JarStore
    /// How long a savepoint, a stop or a cancellation may take.
    public var operationTimeout: Duration
    public var pollInterval: Duration
    /// Host folders trusted beside the operator's allowed roots when Sluice looks for state on
    /// disk (the runtime's own state directory); see `HostPathPolicy`.
    public var trustedRoots: [String] = []

    public init(cluster: String, client: FlinkClient, journal: Journal, jars: JarStore,
                operationTimeout: Duration = .seconds(600), pollInterval: Duration = .milliseconds(100)) {
        self.cluster = cluster
        self.client = client
        self.journal = journal
        self.jars = jars
        self.operationTimeout = operationTimeout
        self.pollInterval = pollInterval
    }

    /// What a lifecycle step acts for: the object, the revision and the spec hash being applied.
    public struct Context: Sendable {
        public var owner: JobOwner
        public var revision: String?
        public var specHash: String?

        public init(owner: JobOwner, revision: String?, specHash: String?) {
            self.owner = owner
            self.revision = revision
            self.specHash = specHash
        }
    }

    /// Where a step left the job: the job now running (if any) and the savepoint taken or restored.
    public struct Transition: Sendable, Equatable {
        public var jobID: String?
        public var savepointPath: String?
        public var message: String

        public init(jobID: String?, savepointPath: String?, message: String) {
            self.jobID = jobID
            self.savepointPath = savepointPath
            self.message = message
        }
    }

    // MARK: Reading

    /// The jobs of `owner` the cluster knows, newest first.
    public func jobs(of owner: JobOwner) async throws -> [JobSummary] {
        try await client.jobs().filter { owner.owns($0.id) }.sorted { $0.startTime > $1.startTime }
    }

    /// The job of `owner` that is not finished, failed or cancelled, if any.
    public func activeJob(of owner: JobOwner) async throws -> JobSummary? {
        try await jobs(of: owner).first { !$0.state.isTerminal }
    }

    // MARK: Operator semantics

    /// Starts a job that is not running: from `spec.job.initialSavepointPath` if set, else fresh.
    /// A suspended spec starts nothing.
    public func deploy(_ spec: JobSpec, _ context: Context) async throws -> Transition {
        guard spec.state == .running else {
            return Transition(jobID: nil, savepointPath: nil, message: "created suspended; nothing started")
        }
        let id = try await submit(spec, context, restoreFrom: spec.initialSavepointPath)
        return Transition(jobID: id, savepointPath: spec.initialSavepointPath,
                          message: spec.initialSavepointPath.map { "started from initial savepoint \($0)" } ?? "started")
    }

    /// Moves the running job `current` to `spec` as `spec.job.upgradeMode` says. With no running
    /// job, starts from `lastSavepoint` (a suspended or failed stateful job keeps its state).
    public func upgrade(_ current: JobSummary?, to spec: JobSpec, _ context: Context, lastSavepoint: String?) async throws -> Transition {
        guard let current, !current.state.isTerminal else {
            let restore = spec.isStateful ? (lastSavepoint ?? spec.initialSavepointPath) : nil
            let id = try await submit(spec, context, restoreFrom: restore)
            return Transition(jobID: id, savepointPath: restore, message: restore.map { "no running job; started from \($0)" }
                              ?? (spec.isStateful ? "no running job and no state of it found; started fresh" : "no running job; started fresh (stateless)"))
        }
        switch spec.upgradeMode {
        case .savepoint:
            let savepoint = try await stopWithSavepoint(current.id, directory: spec.savepointDirectory, context)
            Failpoint.hit("after-stop-with-savepoint")
            let id = try await submit(spec, context, restoreFrom: savepoint)
            return Transition(jobID: id, savepointPath: savepoint, message: "upgraded through savepoint \(savepoint)")
        case .lastState:
            // Verify the state before destroying the job that holds it: with no externally
            // addressable checkpoint, do what the operator does and go through a savepoint.
            guard let before = try await latestRestorePoint(of: current.id) else {
                let savepoint = try await stopWithSavepoint(current.id, directory: spec.savepointDirectory, context)
                Failpoint.hit("after-stop-with-savepoint")
                let id = try await submit(spec, context, restoreFrom: savepoint)
                return Transition(jobID: id, savepointPath: savepoint,
                                  message: "upgraded through savepoint \(savepoint): last-state found no externally addressable checkpoint (set execution.checkpointing.dir)")
            }
            try await cancel(current.id, context)
            // Checkpoints completed between the look and the cancel are newer, and Flink may have
            // dropped the one seen before: take the newest that is still complete.
            let after = try? await latestRestorePoint(of: current.id)
            let state = [after, before].compactMap { $0 }.filter { StateLocator.isUsable($0.path) }
                .max { $0.timestamp < $1.timestamp }?.path ?? before.path
            let id = try await submit(spec, context, restoreFrom: state)
            return Transition(jobID: id, savepointPath: state, message: "upgraded from the last state \(state)")
        case .stateless:
            try await cancel(current.id, context)
            let id = try await submit(spec, context, restoreFrom: nil)
            return Transition(jobID: id, savepointPath: nil, message: "upgraded statelessly (cancelled and started fresh)")
        }
    }

    /// Suspends a running job: stateful jobs stop with a savepoint (recorded for the resume),
    /// stateless ones are cancelled.
    public func suspend(_ current: JobSummary?, _ spec: JobSpec, _ context: Context) async throws -> Transition {
        guard let current, !current.state.isTerminal else {
            return Transition(jobID: nil, savepointPath: nil, message: "no running job to suspend")
        }
        if spec.upgradeMode == .stateless {
            try await cancel(current.id, context)
            return Transition(jobID: nil, savepointPath: nil, message: "suspended (cancelled; stateless)")
        }
        let savepoint = try await stopWithSavepoint(current.id, directory: spec.savepointDirectory, context)
        return Transition(jobID: nil, savepointPath: savepoint, message: "suspended with savepoint \(savepoint)")
    }

    /// Takes a savepoint of the running job (a new `savepointTriggerNonce`); the job keeps running.
    public func savepoint(_ current: JobSummary?, _ spec: JobSpec, _ context: Context) async throws -> Transition {
        guard let current, current.state == .running else {
            throw FlinkError("cannot take a savepoint of \(context.owner) on \(cluster): its job is not running")
        }
        let trigger = UUID().uuidString.replacing("-", with: "").lowercased()
        try record(.savepoint, .intent, context, jobID: current.id, triggerID: trigger)
        let started = ContinuousClock.now
        do {
            try await client.triggerSavepoint(current.id, targetDirectory: spec.savepointDirectory, triggerID: trigger)
            let path = try await awaitSavepoint(current.id, triggerID: trigger)
            try record(.savepoint, .outcome, context, jobID: current.id, triggerID: trigger, savepointPath: path, succeeded: true, since: started)
            return Transition(jobID: current.id, savepointPath: path, message: "savepoint \(path)")
        } catch {
            try? record(.savepoint, .outcome, context, jobID: current.id, triggerID: trigger, succeeded: false, since: started, message: "\(error)")
            throw error
        }
    }

    /// Redeploys from `spec.job.initialSavepointPath` (a new `savepointRedeployNonce`), dropping the current state.
    public func redeploy(_ current: JobSummary?, _ spec: JobSpec, _ context: Context) async throws -> Transition {
        guard let path = spec.initialSavepointPath else {
            throw FlinkError("savepointRedeployNonce changed for \(context.owner) but spec.job.initialSavepointPath is not set",
                             hint: "set spec.job.initialSavepointPath to the savepoint to redeploy from")
        }
        if let current, !current.state.isTerminal { try await cancel(current.id, context) }
        let id = try await submit(spec, context, restoreFrom: path)
        return Transition(jobID: id, savepointPath: path, message: "redeployed from \(path)")
    }

    /// Removes a job from the cluster: stateful jobs stop with a savepoint (kept and recorded, so
    /// the state is never thrown away), stateless ones are cancelled.
    public func delete(_ current: JobSummary?, _ spec: JobSpec?, _ context: Context) async throws -> Transition {
        guard let current, !current.state.isTerminal else {
            return Transition(jobID: nil, savepointPath: nil, message: "no running job")
        }
        if spec?.upgradeMode == .stateless {
            try await cancel(current.id, context)
            return Transition(jobID: nil, savepointPath: nil, message: "cancelled")
        }
        let savepoint = try await stopWithSavepoint(current.id, directory: spec?.savepointDirectory, context)
        return Transition(jobID: nil, savepointPath: savepoint, message: "stopped with savepoint \(savepoint)")
    }

    // MARK: Steps

    /// Submits `spec` under a Sluice job id, restoring `restoreFrom` if given; returns the job id.
    /// An unfinished submission of the same spec in the journal is finished with its job id.
    public func submit(_ spec: JobSpec, _ context: Context, restoreFrom: String?) async throws -> String {
        let object = context.owner.object
        var jobID = context.owner.newJobID(specHash: context.specHash ?? "")
        if let open = try journal.unfinishedIntent(cluster: cluster, object: object), open.step == .submit,
           open.specHash == context.specHash, let previous = open.jobID {
            if try await client.job(previous) != nil {
                try record(.submit, .outcome, context, jobID: previous, savepointPath: open.savepointPath, succeeded: true,
                           message: "found on the cluster after an interrupted submission")
                return previous
            }
            jobID = previous
        }
        let jar = try await jars.resolve(spec)
        let jarID = try await jars.upload(jar, to: client)
        var configuration = spec.flinkConfiguration
        if spec.isStateful, configuration["execution.checkpointing.externalized-checkpoint-retention"] == nil {
            // last-state upgrades read the checkpoints of a cancelled job, so they must survive the cancel.
            configuration["execution.checkpointing.externalized-checkpoint-retention"] = "RETAIN_ON_CANCELLATION"
        }
        let request = JarRunRequest(jobID: jobID, entryClass: spec.entryClass, programArgs: spec.args, parallelism: spec.parallelism,
                                    savepointPath: restoreFrom, allowNonRestoredState: spec.allowNonRestoredState,
                                    flinkConfiguration: configuration)
        try record(.submit, .intent, context, jobID: jobID, savepointPath: restoreFrom)
        let started = ContinuousClock.now
        do {
            _ = try await client.run(jar: jarID, request)
        } catch {
            // The request may have reached Flink before the error: look before declaring failure
            // (a job Flink registered but could not start is a failure too).
            if let job = try? await client.job(jobID), job.state != .failed {
                try record(.submit, .outcome, context, jobID: jobID, savepointPath: restoreFrom, succeeded: true, since: started)
                return jobID
            }
            try? record(.submit, .outcome, context, jobID: jobID, savepointPath: restoreFrom, succeeded: false, since: started, message: "\(error)")
            throw FlinkError("submitting \(object) to \(cluster) failed: \(error)",
                             hint: restoreFrom.map { "the state is safe in \($0); fix the cause and sync again" })
        }
        try record(.submit, .outcome, context, jobID: jobID, savepointPath: restoreFrom, succeeded: true, since: started)
        return jobID
    }

    /// Stops a job with a savepoint and returns its path; an interrupted stop of the same job is
    /// polled by its trigger id instead of being triggered again.
    public func stopWithSavepoint(_ jobID: String, directory: String?, _ context: Context) async throws -> String {
        var trigger = UUID().uuidString.replacing("-", with: "").lowercased()
        if let open = try journal.unfinishedIntent(cluster: cluster, object: context.owner.object),
           open.step == .stopWithSavepoint, open.jobID == jobID, let previous = open.triggerID {
            trigger = previous
        } else {
            try record(.stopWithSavepoint, .intent, context, jobID: jobID, triggerID: trigger)
        }
        let started = ContinuousClock.now
        do {
            if try await client.savepointStatus(jobID, triggerID: trigger) == nil {
                try await client.stopWithSavepoint(jobID, targetDirectory: directory, triggerID: trigger)
            }
            let path = try await awaitSavepoint(jobID, triggerID: trigger)
            try await awaitTerminal(jobID)
            Failpoint.hit("before-stop-with-savepoint-outcome")
            try record(.stopWithSavepoint, .outcome, context, jobID: jobID, triggerID: trigger, savepointPath: path, succeeded: true, since: started)
            return path
        } catch {
            try? record(.stopWithSavepoint, .outcome, context, jobID: jobID, triggerID: trigger, succeeded: false, since: started, message: "\(error)")
            throw FlinkError("stopping \(context.owner) on \(cluster) with a savepoint failed: \(error)",
                             hint: directory == nil ? "set execution.checkpointing.savepoint-dir in spec.flinkConfiguration or on the cluster" : "the job keeps running; fix the cause and sync again")
        }
    }

    /// Cancels a job and waits until it has stopped.
    public func cancel(_ jobID: String, _ context: Context) async throws {
        try record(.cancel, .intent, context, jobID: jobID)
        let started = ContinuousClock.now
        do {
            try await client.cancel(jobID)
            try await awaitTerminal(jobID)
            try record(.cancel, .outcome, context, jobID: jobID, succeeded: true, since: started)
        } catch {
            try? record(.cancel, .outcome, context, jobID: jobID, succeeded: false, since: started, message: "\(error)")
            throw error
        }
    }

    /// The newest complete, externally addressable checkpoint or savepoint of a job, or what it
    /// restored from if it has completed none since.
    public func latestState(of jobID: String) async throws -> String? {
        if let point = try await latestRestorePoint(of: jobID) { return point.path }
        let restored = try await client.checkpoints(jobID)?.restored?.externalPath
        return StateLocator.isUsable(restored) ? restored : nil
    }

    // MARK: Waiting

    func awaitSavepoint(_ jobID: String, triggerID: String) async throws -> String {
        let deadline = ContinuousClock.now + operationTimeout
        while ContinuousClock.now < deadline {
            switch try await client.savepointStatus(jobID, triggerID: triggerID) {
            case .completed(let location): return location
            case .failed(let reason): throw FlinkError("the savepoint failed: \(reason)")
            case .inProgress, nil: try await Task.sleep(for: pollInterval)
            }
        }
        throw FlinkError("the savepoint of job \(jobID) did not complete within \(operationTimeout)",
                         hint: "large state takes longer; raise the operation timeout")
    }

    func awaitTerminal(_ jobID: String) async throws {
        let deadline = ContinuousClock.now + operationTimeout
        while ContinuousClock.now < deadline {
            // `/jobs/overview` is not cached; `/jobs/<id>` lags by `web.refresh-interval` (3 s by default).
            guard let job = try await client.jobs().first(where: { $0.id == jobID }), !job.state.isTerminal else { return }
            try await Task.sleep(for: pollInterval)
        }
        throw FlinkError("job \(jobID) did not stop within \(operationTimeout)")
    }

    func record(_ step: JournalRecord.Step, _ phase: JournalRecord.Phase, _ context: Context, jobID: String? = nil,
                        triggerID: String? = nil, savepointPath: String? = nil, succeeded: Bool? = nil,
                        since start: ContinuousClock.Instant? = nil, message: String? = nil) throws {
        let milliseconds = start.map { Int((ContinuousClock.now - $0).seconds * 1000) }
        try journal.append(JournalRecord(cluster: cluster, object: context.owner.object, step: step, phase: phase,
                                         revision: context.revision, specHash: context.specHash, jobID: jobID, triggerID: triggerID,
                                         savepointPath: savepointPath, succeeded: succeeded, durationMilliseconds: milliseconds,
                                         message: message))
    }
}
