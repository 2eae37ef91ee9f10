import Foundation
import SluiceCore
import SluiceYAML

/// How a live Kubernetes object is doing, read from its status the way its controller reports
/// progress: `healthy`, `progressing`, `degraded`, `suspended`, `missing` or `unknown`, with a reason
/// a person can act on.
///
/// Flink resources are judged by what the Flink Kubernetes Operator writes: the job's state, the
/// lifecycle state and the `error` field, not only the reconciliation state (a failed job whose spec
/// was reconciled is not healthy).
public enum KubernetesHealth {
    /// The health of `object` (a live object as the API server returns it; null means it does not exist).
    public static func assess(_ object: Value) -> Health {
        guard object.mapValue?.isEmpty == false else { return Health(.missing, "the object does not exist") }
        switch (object["apiVersion"]?.stringValue.map { APIResource.split($0).group } ?? "", object["kind"]?.stringValue ?? "") {
        case ("flink.apache.org", "FlinkDeployment"): return flink(object, session: false)
        case ("flink.apache.org", "FlinkSessionJob"): return flink(object, session: true)
        case ("flink.apache.org", "FlinkBlueGreenDeployment"): return blueGreen(object)
        case ("apps", "Deployment"): return deployment(object)
        case ("apps", "StatefulSet"): return statefulSet(object)
        case ("autoscaling", "HorizontalPodAutoscaler"): return autoscaler(object)
        case ("", "Service"): return service(object)
        default: return Health(.healthy, "exists")
        }
    }

    private static func flink(_ object: Value, session: Bool) -> Health {
        let spec = object["spec"], status = object["status"]
        let suspendedBySpec = spec?[path: "job", "state"]?.stringValue?.lowercased() == "suspended"
        let lifecycle = status?["lifecycleState"]?.stringValue?.uppercased() ?? ""
        let jobState = status?[path: "jobStatus", "state"]?.stringValue?.uppercased() ?? ""
        let reconciliation = status?[path: "reconciliationStatus", "state"]?.stringValue?.uppercased() ?? ""
        let jobManager = status?["jobManagerDeploymentStatus"]?.stringValue?.uppercased() ?? ""
        let error = status?["error"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        guard let status, status.mapValue?.isEmpty == false else {
            return suspendedBySpec ? Health(.suspended, "suspended by spec; the operator has not reported yet")
                : Health(.progressing, "waiting for the Flink operator to report a status")
        }
        if let generation = object[path: "metadata", "generation"]?.intValue,
           let observed = status["observedGeneration"]?.intValue, observed < generation {
            return Health(.progressing, "the operator has not reconciled generation \(generation) yet (observed \(observed))")
        }
        if suspendedBySpec {
            if ["SUSPENDED"].contains(lifecycle) || ["SUSPENDED", "FINISHED", "CANCELED", ""].contains(jobState) {
                return Health(.suspended, "job suspended by spec")
            }
            return Health(.progressing, "suspending the job (job state \(jobState))")
        }
        if !session, jobState == "FAILED", !restartsFailedJobs(spec) {
            return .cannotStart("the job failed and the operator will not restart it (\(restartFailedOption) is not true in spec.flinkConfiguration)"
                + (error.map { ": \(operatorError($0))" } ?? ""))
        }
        if let error { return Health(.degraded, "operator error: \(operatorError(error))") }
        if lifecycle == "FAILED" || jobState == "FAILED" { return Health(.degraded, "the job failed (job state \(jobState.isEmpty ? "unknown" : jobState))") }
        if lifecycle == "ROLLED_BACK" || reconciliation == "ROLLED_BACK" { return Health(.degraded, "the operator rolled back the last spec change") }
        if lifecycle == "SUSPENDED" || jobState == "SUSPENDED" { return Health(.suspended, "the job is suspended") }
        if ["UPGRADING", "ROLLING_BACK"].contains(reconciliation) {
            return Health(.progressing, "the operator is \(reconciliation == "UPGRADING" ? "upgrading" : "rolling back") the job")
        }
        if !session {
            switch jobManager {
            case "MISSING": return Health(.degraded, "the JobManager deployment is missing")
            case "ERROR": return Health(.degraded, "the JobManager deployment failed")
            case "DEPLOYING", "DEPLOYED_NOT_READY", "": return Health(.progressing, "the JobManager is starting (\(jobManager.isEmpty ? "no status yet" : jobManager))")
            default: break
            }
            if spec?["job"] == nil { return Health(.healthy, "session cluster ready") }
        }
        switch jobState {
        case "RUNNING": break
        case "FAILING", "RESTARTING": return Health(.degraded, "the job is \(jobState.lowercased())")
        case "CANCELED", "CANCELLING": return Health(.degraded, "the job was cancelled outside the spec")
        case "FINISHED": return Health(.healthy, "the job finished")
        default: return Health(.progressing, "the job is starting (\(jobState.isEmpty ? "no job status yet" : jobState))")
        }
        if ["CREATED", "UPGRADING", "DEPLOYED", "ROLLING_BACK", "DELETING"].contains(lifecycle) {
            return Health(.progressing, "lifecycle state \(lifecycle)")
        }
        return Health(.healthy, "job running")
    }

    /// The operator's option that makes it resubmit a FAILED job (flink-kubernetes-operator
    /// `KubernetesOperatorConfigOptions.OPERATOR_JOB_RESTART_FAILED`, default false).
    static let restartFailedOption = "kubernetes.operator.job.restart.failed"

    /// Whether the operator resubmits this deployment's job once it is FAILED: it does so only when
    /// the option is true in the resource's observed configuration (`AbstractJobReconciler
    /// .reconcileOtherChanges`); otherwise a FAILED job stays failed until its spec changes. Read from
    /// `spec.flinkConfiguration` only: an operator-wide default of true is not visible on the object.
    static func restartsFailedJobs(_ spec: Value?) -> Bool {
        guard let value = spec?["flinkConfiguration"].flatMap({ configurationValue($0, key: restartFailedOption, depth: 0) }) else { return false }
        if let flag = value.boolValue { return flag }
        return value.stringValue?.trimmingCharacters(in: .whitespaces).lowercased() == "true"
    }

    /// The value of dotted `key` in a configuration written flat or nested (the operator reads both,
    /// `ConfigObjectNode.asFlatMap`): `a.b.c`, `a: {b.c}` and `a: {b: {c}}` are one setting.
    private static func configurationValue(_ configuration: Value, key: String, depth: Int) -> Value? {
        guard depth < 8, let map = configuration.mapValue else { return nil }
        for entry in map {
            if entry.key == key { return entry.value }
            if key.hasPrefix(entry.key + "."), let found = configurationValue(entry.value, key: String(key.dropFirst(entry.key.count + 1)), depth: depth + 1) {
                return found
            }
        }
        return nil
    }

    /// The operator's `status.error` for a message: bounded, without the user info of any URL in it
    /// (a jar URI may carry a password). Cut after the redaction, so that a cut never leaves half
    /// of a password without its `@`.
    static func operatorError(_ text: String) -> String {
        String(redactingUserInfo(String(text.prefix(4096))).prefix(300))
    }

    private static func redactingUserInfo(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "\"" || $0 == "'" || $0.isNewline } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                out += "<redacted>"
                rest = rest[at...]
            }
        }
        return out + rest
    }

    private static func generationPending(_ object: Value) -> Health? {
        guard let generation = object[path: "metadata", "generation"]?.intValue else { return nil }
        let observed = object[path: "status", "observedGeneration"]?.intValue ?? 0
        return observed < generation ? Health(.progressing, "the controller has not observed generation \(generation) yet") : nil
    }

    private static func condition(_ object: Value, _ type: String) -> Value? {
        object[path: "status", "conditions"]?.listValue?.first { $0["type"]?.stringValue == type }
    }

    private static func deployment(_ object: Value) -> Health {
        if object[path: "spec", "paused"]?.boolValue == true { return Health(.suspended, "the rollout is paused") }
        if let pending = generationPending(object) { return pending }
        if let progressing = condition(object, "Progressing"), progressing["reason"]?.stringValue == "ProgressDeadlineExceeded" {
            return Health(.degraded, "the rollout exceeded its progress deadline: \(progressing["message"]?.stringValue ?? "")")
        }
        let wanted = object[path: "spec", "replicas"]?.intValue ?? 1
        let status = object["status"]
        let updated = status?["updatedReplicas"]?.intValue ?? 0
        let total = status?["replicas"]?.intValue ?? 0
        let available = status?["availableReplicas"]?.intValue ?? 0
        if updated < wanted { return Health(.progressing, "\(updated) of \(wanted) replicas updated") }
        if total > updated { return Health(.progressing, "\(total - updated) old replicas are pending termination") }
        if available < updated { return Health(.progressing, "\(available) of \(updated) updated replicas available") }
        return Health(.healthy, "\(available) of \(wanted) replicas available")
    }

    private static func statefulSet(_ object: Value) -> Health {
        if let pending = generationPending(object) { return pending }
        let wanted = object[path: "spec", "replicas"]?.intValue ?? 1
        let status = object["status"]
        let ready = status?["readyReplicas"]?.intValue ?? 0
        if object[path: "spec", "updateStrategy", "type"]?.stringValue != "OnDelete" {
            let updated = status?["updatedReplicas"]?.intValue ?? 0
            if updated < wanted { return Health(.progressing, "\(updated) of \(wanted) replicas updated") }
            if let current = status?["currentRevision"]?.stringValue, let update = status?["updateRevision"]?.stringValue, current != update, wanted > 0 {
                return Health(.progressing, "rolling out revision \(update)")
            }
        }
        if ready < wanted { return Health(.progressing, "\(ready) of \(wanted) replicas ready") }
        return Health(.healthy, "\(ready) of \(wanted) replicas ready")
    }

    private static func autoscaler(_ object: Value) -> Health {
        for type in ["AbleToScale", "ScalingActive"] {
            guard let condition = condition(object, type), condition["status"]?.stringValue == "False" else { continue }
            let reason = condition["reason"]?.stringValue ?? type
            let message = condition["message"]?.stringValue ?? ""
            if reason == "ScalingDisabled" { return Health(.suspended, "scaling is disabled: \(message)") }
            return Health(.degraded, "\(type) is False (\(reason)): \(message)")
        }
        if condition(object, "ScalingActive") == nil { return Health(.progressing, "waiting for the autoscaler to read metrics") }
        return Health(.healthy, "scaling active")
    }

    private static func service(_ object: Value) -> Health {
        guard object[path: "spec", "type"]?.stringValue == "LoadBalancer" else { return Health(.healthy, "exists") }
        if let ingress = object[path: "status", "loadBalancer", "ingress"]?.listValue, let first = ingress.first {
            return Health(.healthy, "load balancer at \(first["ip"]?.stringValue ?? first["hostname"]?.stringValue ?? "an address")")
        }
        return Health(.progressing, "waiting for a load balancer address")
    }
}
