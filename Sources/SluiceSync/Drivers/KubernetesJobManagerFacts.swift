import Foundation
import Logging
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// `lastCheckpoint` and `restarts` of jobs on a kubernetes cluster, which the operator's status
/// does not carry: read from the job's JobManager (`GET /jobs/<id>/checkpoints`, the `numRestarts`
/// metric) by the same Flink REST code as on flink clusters, through the API server's service
/// proxy, so only the API server needs to be reachable and its credentials are the only ones used.
///
/// The JobManager's REST service is the one Flink's `ExternalServiceDecorator` creates for the
/// operator: `<cluster id>-rest` in the object's namespace, its port named `rest`
/// (`Constants.REST_PORT_NAME`, whatever `rest.port` says); the cluster id is the FlinkDeployment's
/// name (operator `FlinkConfigBuilder`: `kubernetes.cluster-id`), for a FlinkSessionJob its
/// session deployment's, `spec.deploymentName` (operator `AbstractFlinkService.uploadJar`).
///
/// Only jobs whose status names a job id and a state in which a JobManager serves it are asked;
/// `RECONCILING` is what the operator writes when it does not know (JobManager missing, job not
/// found: operator `AbstractFlinkDeploymentObserver`, `JobStatusObserver`). Bounded like the rest
/// of a reading: the driver's parallel cap and time window, 10 s and 1 MiB per answer, and one
/// attempt each. A refusal of the proxy itself (403 without the grant, 404 for a missing service,
/// 503 with no JobManager behind it) is remembered per cluster (`ServiceProxyMemory`) so that it
/// is not asked again for a while. Nothing here fails the reading: what is not read stays null.
extension KubernetesDriver {
    static let jobManagerPortName = "rest"
    static let jobManagerRequestTimeout: Duration = .seconds(10)
    /// Checkpoint statistics hold `web.checkpoints.history` entries (10 by default): some kB.
    static let maxJobManagerAnswerBytes = 1 << 20
    /// Job states in which the JobManager is up and knows the job (Flink `JobStatus`).
    static let askedJobStates: Set<String> = ["INITIALIZING", "CREATED", "RUNNING", "FAILING", "RESTARTING", "CANCELLING"]

    /// Where a job's JobManager answers.
    public struct JobManagerTarget: Hashable, Sendable {
        public var namespace: String
        public var service: String
        public var jobID: String
    }

    /// The JobManager to ask about the job of `object` (a FlinkDeployment or FlinkSessionJob as
    /// read), or nil when its status names no job the JobManager would know now.
    public static func jobManagerTarget(_ object: Value, identity: ObjectIdentity) -> JobManagerTarget? {
        guard let namespace = identity.namespace,
              let jobID = object[path: "status", "jobStatus", "jobId"]?.stringValue, isFlinkJobID(jobID),
              let state = object[path: "status", "jobStatus", "state"]?.stringValue, askedJobStates.contains(state) else { return nil }
        let clusterID = identity.kind == "FlinkSessionJob" ? object[path: "spec", "deploymentName"]?.stringValue : identity.name
        guard let clusterID, !clusterID.isEmpty, clusterID.utf8.count <= 58 else { return nil }
        return JobManagerTarget(namespace: namespace, service: clusterID + "-rest", jobID: jobID)
    }

    /// 32 lowercase hex digits (Flink's `JobID.toHexString`); anything else never reaches a URL.
    static func isFlinkJobID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    /// Fills `lastCheckpoint` and `restarts` (and `lastSavepoint` where neither the status nor a
    /// snapshot named one) of the jobs in `targets` from their JobManagers, starting no request
    /// after `deadline`.
    func addJobManagerFacts(_ observed: inout [ObjectIdentity: JobObservation], targets: [ObjectIdentity: JobManagerTarget],
                            deadline: ContinuousClock.Instant) async {
        let memory = proxyMemory, cluster = proxyMemoryKey, logger = logger
        let jobs = targets.sorted { $0.key.description < $1.key.description }
        let read = await withTaskGroup(of: (ObjectIdentity, JobObservation)?.self) { group in
            var facts: [ObjectIdentity: JobObservation] = [:]
            var pending = jobs[...]
            var running = 0
            while true {
                while running < max(parallelism, 1), let (identity, target) = pending.first, ContinuousClock.now < deadline {
                    pending = pending.dropFirst()
                    if memory.isQuiet(cluster: cluster, namespace: target.namespace, service: target.service) { continue }
                    running += 1
                    group.addTask { [client] in
                        guard let proxy = client.serviceProxy(namespace: target.namespace, service: target.service, port: Self.jobManagerPortName,
                                                              timeout: Self.jobManagerRequestTimeout, maxResponseBytes: Self.maxJobManagerAnswerBytes)
                        else { return nil }
                        let flink = FlinkClient(baseURL: proxy.baseURL, transport: proxy)
                        var found = JobObservation()
                        let failures = await found.addRunningJobFacts(from: flink, jobID: target.jobID) { Self.proxyRefusal($0) == nil }
                        for failure in failures {
                            Self.note(failure, job: identity, target: target, cluster: cluster, memory: memory, logger: logger)
                        }
                        return (identity, found)
                    }
                }
                guard let next = await group.next() else { break }
                running -= 1
                if let (identity, found) = next { facts[identity] = found }
            }
            return facts
        }
        for (identity, found) in read where observed[identity] != nil {
            observed[identity]?.lastCheckpoint = found.lastCheckpoint
            observed[identity]?.restarts = found.restarts
            if observed[identity]?.lastSavepoint == nil { observed[identity]?.lastSavepoint = found.lastSavepoint }
        }
    }

    /// The API server's own refusal of the proxy (not an answer of the JobManager behind it).
    static func proxyRefusal(_ error: any Error) -> KubernetesError? {
        guard let error = error as? KubernetesError, let status = error.status, [403, 404, 503].contains(status) else { return nil }
        return error
    }

    private static func note(_ failure: any Error, job: ObjectIdentity, target: JobManagerTarget, cluster: String,
                             memory: ServiceProxyMemory, logger: Logger) {
        let metadata: Logger.Metadata = ["object": "\(job)", "service": "\(target.namespace)/\(target.service)"]
        if let refusal = proxyRefusal(failure) {
            let status = refusal.status ?? 0
            memory.remember(status: status, cluster: cluster, namespace: target.namespace, service: target.service)
            let quiet = status == 403 ? ServiceProxyMemory.forbiddenQuiet : ServiceProxyMemory.unavailableQuiet
            let text = "lastCheckpoint and restarts of \(job) stay unknown: \(refusal.message); not asked again for \(quiet.components.seconds) s"
            if status == 403 {
                logger.notice("\(text) (grant get on services/proxy, as deploy/rbac.yaml does)", metadata: metadata)
            } else {
                logger.debug("\(text)", metadata: metadata)
            }
        } else if let error = failure as? KubernetesError, case .responseTooLarge(let limit)? = error.transportFailure {
            logger.debug("lastCheckpoint or restarts of \(job) stay unknown: the JobManager's answer through the API server's service proxy was cut off at \(limit) bytes",
                         metadata: metadata)
        } else {
            logger.debug("lastCheckpoint or restarts of \(job) stay unknown: \(failure)", metadata: metadata)
        }
    }

    /// Which cluster a memory entry belongs to: its name and API server.
    var proxyMemoryKey: String { "\(cluster.name) \(client.server.absoluteString)" }
}

/// What the API server's service proxy of each cluster refused lately, kept for the process (a
/// driver lives for one reading): a 403 (no grant on `services/proxy`) keeps the namespace quiet
/// for `forbiddenQuiet`, a 404 or 503 (no such service, no JobManager behind it) keeps that service
/// quiet for `unavailableQuiet`.
public final class ServiceProxyMemory: @unchecked Sendable {
    public static let shared = ServiceProxyMemory()
    public static let forbiddenQuiet: Duration = .seconds(600)
    public static let unavailableQuiet: Duration = .seconds(60)
    /// Entries kept at most (oldest dropped), so a fleet of failing services cannot grow it.
    static let maxEntries = 10_000

    private struct Key: Hashable {
        var cluster: String
        var namespace: String
        /// nil: the whole namespace (a 403).
        var service: String?
    }

    private let lock = NSLock()
    private var until: [Key: ContinuousClock.Instant] = [:]

    public init() {}

    /// Whether the proxy to `service` in `namespace` is not to be asked now.
    public func isQuiet(cluster: String, namespace: String, service: String, now: ContinuousClock.Instant = .now) -> Bool {
        lock.withLock {
            for key in [Key(cluster: cluster, namespace: namespace, service: nil), Key(cluster: cluster, namespace: namespace, service: service)] {
                if let end = until[key] {
                    if now < end { return true }
                    until[key] = nil
                }
            }
            return false
        }
    }

    /// Records a refusal with `status` (403, 404 or 503; others are not remembered).
    public func remember(status: Int, cluster: String, namespace: String, service: String, now: ContinuousClock.Instant = .now) {
        let key: Key, quiet: Duration
        switch status {
        case 403: (key, quiet) = (Key(cluster: cluster, namespace: namespace, service: nil), Self.forbiddenQuiet)
        case 404, 503: (key, quiet) = (Key(cluster: cluster, namespace: namespace, service: service), Self.unavailableQuiet)
        default: return
        }
        lock.withLock {
            if until.count >= Self.maxEntries, until[key] == nil {
                until = until.filter { $0.value > now }
                if until.count >= Self.maxEntries, let oldest = until.min(by: { $0.value < $1.value })?.key { until[oldest] = nil }
            }
            until[key] = now + quiet
        }
    }

    /// Forgets everything (tests, or a changed grant the operator wants picked up at once).
    public func forget() { lock.withLock { until.removeAll() } }
}
