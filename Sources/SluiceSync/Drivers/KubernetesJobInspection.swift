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
/// - `restarts` is not in the operator's status (`JobStatus` holds the job's name, id, state,
///   start and update time, and savepoint/checkpoint info; nothing counts restarts), and
///   `status.jobStatus.checkpointInfo.lastCheckpoint` is not used as `lastCheckpoint`: it is the
///   last checkpoint *the operator triggered* (manual nonce or the operator's periodic
///   checkpoints), not Flink's own periodic checkpoints, with no checkpoint id and the time the
///   operator triggered it (operator `Checkpoint.timeStamp`, "at the start of the checkpoint
///   operation"). Both come from the JobManager instead, through the API server's service proxy
///   (KubernetesJobManagerFacts.swift), and stay nil where it cannot be read.
/// - `lastSavepoint` from `status.jobStatus.savepointInfo.lastSavepoint` (`location`, and
///   `timeStamp`, the millisecond time the savepoint was triggered), source `operator`. The
///   operator writes it only where FlinkStateSnapshot resources are off
///   (`kubernetes.operator.snapshot.resource.enabled`, default true since operator 1.10; the field
///   is deprecated): with snapshot resources on it stays empty.
///   `upgradeSavepointPath` is not used: it is the path the next start restores from, which may be
///   the initial savepoint or a last-state marker, not a savepoint taken.
/// - Else `lastSavepoint` from the newest completed savepoint FlinkStateSnapshot naming the job,
///   source `snapshot` (KubernetesStateSnapshots.swift).
///
/// Objects are listed where a kind has more jobs than namespaces (KubernetesJobLists.swift), else
/// read one GET each.
extension KubernetesDriver: JobInspecting {
    /// How long one reading of a cluster's jobs may start new requests; each request is bounded by
    /// the client's timeout, so a slow API server delays the status by at most this plus one request.
    static let jobReadWindow: Duration = .seconds(20)

    public func observeJobs(_ identities: [ObjectIdentity]) async -> [ObjectIdentity: JobObservation] {
        let jobs = identities.filter { $0.group == Self.flinkGroup && ($0.kind == "FlinkDeployment" || $0.kind == "FlinkSessionJob") }
        guard !jobs.isEmpty, let apiVersion = try? await client.preferredAPIVersion(group: Self.flinkGroup) else { return [:] }
        let deadline = ContinuousClock.now + Self.jobReadWindow
        let listed = await listJobObjects(jobs, apiVersion: apiVersion, deadline: deadline)
        let read = await withTaskGroup(of: (ObjectIdentity, JobObservation?, Bool, JobManagerTarget?).self) { group in
            var observed: [ObjectIdentity: JobObservation] = [:]
            var present: Set<ObjectIdentity> = []
            var targets: [ObjectIdentity: JobManagerTarget] = [:]
            for (identity, read) in listed {
                observed[identity] = read.observation
                if read.exists { present.insert(identity) }
                if let target = read.target { targets[identity] = target }
            }
            var pending = jobs.filter { listed[$0] == nil }[...]
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
                            return (identity, Self.jobObservation(object ?? .null), object != nil,
                                    object.flatMap { Self.jobManagerTarget($0, identity: identity) })
                        } catch { return (identity, nil, false, nil) }
                    }
                }
                guard let (identity, observation, exists, target) = await group.next() else { break }
                running -= 1
                observed[identity] = observation
                if exists { present.insert(identity) }
                if let target { targets[identity] = target }
            }
            return (observed: observed, present: present, targets: targets)
        }
        var observed = read.observed
        await addSnapshotSavepoints(&observed, of: read.present, apiVersion: apiVersion, deadline: deadline)
        await addJobManagerFacts(&observed, targets: read.targets, deadline: deadline)
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
            // Not written as `intValue.flatMap { … }`: Swift 6.3.1's optimizer crashed on that shape
            // here (an ownership verification failure in release builds).
            var triggered: Date?
            if let millis = savepoint["timeStamp"]?.intValue, millis > 0 {
                triggered = Date(timeIntervalSince1970: Double(millis) / 1000)
            }
            observation.lastSavepoint = .init(path: location, completedAt: triggered, source: "operator")
        }
        return observation
    }

    private static func nonEmpty(_ text: String?, limit: Int) -> String? {
        guard let text, !text.isEmpty, text.count <= limit else { return nil }
        return text
    }
}
