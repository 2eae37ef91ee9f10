import Foundation
import SluiceCore
import SluiceFlink
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// The jobs of FlinkDeployments and FlinkSessionJobs as the Flink Kubernetes Operator reports
/// them in their status, for the status API. Only what the object says is reported:
///
/// - `state` and `jobID` from `status.jobStatus.state` / `jobId` (operator `JobStatus`).
/// - `restarts` stays nil: the operator's status has no restart count (`JobStatus` holds the job's
///   name, id, state, start and update time, and savepoint/checkpoint info; nothing counts restarts).
/// - `lastCheckpoint` stays nil: `status.jobStatus.checkpointInfo.lastCheckpoint` is the last
///   checkpoint *the operator triggered* (manual nonce or the operator's periodic checkpoints), not
///   Flink's own periodic checkpoints, and it carries no checkpoint id and the time the operator
///   triggered it (operator `Checkpoint.timeStamp`, "at the start of the checkpoint operation").
///   Shown as the newest completed checkpoint it would claim more than it says.
/// - `lastSavepoint` from `status.jobStatus.savepointInfo.lastSavepoint` (`location`, and
///   `timeStamp`, the millisecond time the savepoint was triggered), source `operator`. The
///   operator writes it only where FlinkStateSnapshot resources are off
///   (`kubernetes.operator.snapshot.resource.enabled`, default true since operator 1.10; the field
///   is deprecated): with snapshot resources on it stays empty.
///   `upgradeSavepointPath` is not used: it is the path the next start restores from, which may be
///   the initial savepoint or a last-state marker, not a savepoint taken.
/// - Else `lastSavepoint` from the newest completed savepoint FlinkStateSnapshot naming the job,
///   source `snapshot` (KubernetesStateSnapshots.swift).
extension KubernetesDriver: JobInspecting {
    /// How long one reading of a cluster's jobs may start new requests; each request is bounded by
    /// the client's timeout, so a slow API server delays the status by at most this plus one request.
    static let jobReadWindow: Duration = .seconds(20)

    public func observeJobs(_ identities: [ObjectIdentity]) async -> [ObjectIdentity: JobObservation] {
        let jobs = identities.filter { $0.group == Self.flinkGroup && ($0.kind == "FlinkDeployment" || $0.kind == "FlinkSessionJob") }
        guard !jobs.isEmpty, let apiVersion = try? await client.preferredAPIVersion(group: Self.flinkGroup) else { return [:] }
        let deadline = ContinuousClock.now + Self.jobReadWindow
        let read = await withTaskGroup(of: (ObjectIdentity, JobObservation?, Bool).self) { group in
            var observed: [ObjectIdentity: JobObservation] = [:]
            var present: Set<ObjectIdentity> = []
            var pending = jobs[...]
            var running = 0
            while true {
                while running < max(parallelism, 1), let identity = pending.first, ContinuousClock.now < deadline {
                    pending = pending.dropFirst()
                    running += 1
                    group.addTask { [client] in
                        let ref = ObjectReference(apiVersion: apiVersion, kind: identity.kind, namespace: identity.namespace, name: identity.name)
                        // A failed read leaves the job unknown; an object not on the cluster runs no job.
                        do {
                            let object = try await client.get(ref)
                            return (identity, Self.jobObservation(object ?? .null), object != nil)
                        } catch { return (identity, nil, false) }
                    }
                }
                guard let (identity, observation, exists) = await group.next() else { break }
                running -= 1
                observed[identity] = observation
                if exists { present.insert(identity) }
            }
            return (observed: observed, present: present)
        }
        var observed = read.observed
        await addSnapshotSavepoints(&observed, of: read.present, apiVersion: apiVersion, deadline: deadline)
        return observed
    }

    static let flinkGroup = "flink.apache.org"
    /// Longer savepoint locations are not reported (a status field is not a place for megabytes).
    static let maxSavepointLocation = 4096

    /// What the status of one FlinkDeployment or FlinkSessionJob says about its job; `object` null
    /// (absent) gives an observation with only the time.
    public static func jobObservation(_ object: Value, at now: Date = Date()) -> JobObservation {
        let job = object[path: "status", "jobStatus"]
        var observation = JobObservation(observedAt: now)
        observation.jobID = nonEmpty(job?["jobId"]?.stringValue, limit: 64)
        observation.state = nonEmpty(job?["state"]?.stringValue, limit: 64)
        if let savepoint = job?[path: "savepointInfo", "lastSavepoint"],
           let location = nonEmpty(savepoint["location"]?.stringValue, limit: maxSavepointLocation) {
            // Written without `flatMap` over the optional: Swift 6.3.1's release build (CopyPropagation)
            // crashed on that form of this line.
            var triggered: Date?
            if let millis = savepoint["timeStamp"]?.intValue, millis > 0 { triggered = Date(timeIntervalSince1970: Double(millis) / 1000) }
            observation.lastSavepoint = .init(path: location, completedAt: triggered, source: "operator")
        }
        return observation
    }

    private static func nonEmpty(_ text: String?, limit: Int) -> String? {
        guard let text, !text.isEmpty, text.count <= limit else { return nil }
        return text
    }
}
