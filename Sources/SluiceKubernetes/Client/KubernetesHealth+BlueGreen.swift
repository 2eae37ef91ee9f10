import Foundation
import SluiceCore
import SluiceYAML

extension KubernetesHealth {
    /// The health of a FlinkBlueGreenDeployment, read from the status the operator's blue/green
    /// controller writes (flink-kubernetes-operator, controller/bluegreen/BlueGreenDeploymentService.java):
    /// - `patchStatusUpdateControl` sets `jobStatus.state` and `error` together: FAILING with the error
    ///   on a failed transition or an abort (`markDeploymentFailing`), RECONCILING when a transition
    ///   starts, RUNNING (error cleared) once the new child is ACTIVE.
    /// - An abort (`abortDeployment`) suspends the new child, puts `blueGreenState` back to the previous
    ///   ACTIVE_* state and reports "Aborting deployment …": the old child still runs, but the change in Git
    ///   did not take effect, so that is degraded, not healthy.
    /// - `abortTimestamp` is set when a transition starts (`setAbortTimestamp`) and reset to the epoch
    ///   (`resetTransitionMarkers`); a transition still running past it is about to be aborted.
    public static func blueGreen(_ object: Value, now: Date = Date()) -> Health {
        guard let status = object["status"], status.mapValue?.isEmpty == false else {
            return Health(.progressing, "waiting for the Flink operator to report a status")
        }
        let state = status["blueGreenState"]?.stringValue?.uppercased() ?? ""
        let jobState = status[path: "jobStatus", "state"]?.stringValue?.uppercased() ?? ""
        let error = status["error"]?.stringValue.flatMap { $0.isEmpty ? nil : String($0.prefix(300)) }
        let suspendedBySpec = object[path: "spec", "template", "spec", "job", "state"]?.stringValue?.lowercased() == "suspended"

        if let error { return Health(.degraded, "blue/green \(state.isEmpty ? "deployment" : state): operator error: \(error)") }
        if jobState == "FAILING" || jobState == "FAILED" {
            return Health(.degraded, "blue/green \(state): the job is \(jobState.lowercased())")
        }
        if suspendedBySpec || jobState == "SUSPENDED" {
            return jobState == "SUSPENDED" ? Health(.suspended, "blue/green \(state): the job is suspended")
                : Health(.progressing, "blue/green \(state): suspending the job (job state \(jobState.isEmpty ? "unknown" : jobState))")
        }
        switch state {
        case "ACTIVE_BLUE", "ACTIVE_GREEN":
            let child = state == "ACTIVE_BLUE" ? "blue" : "green"
            if let pending = unreconciledTransition(object, status: status) { return pending }
            switch jobState {
            case "RUNNING": return Health(.healthy, "blue/green: \(child) is active and its job is running")
            case "FINISHED": return Health(.healthy, "blue/green: \(child) is active and its job finished")
            default: return Health(.progressing, "blue/green: \(child) is active, job state \(jobState.isEmpty ? "not reported yet" : jobState)")
            }
        case "INITIALIZING_BLUE":
            return Health(.progressing, "blue/green: starting the first (blue) deployment")
        case "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN", "TRANSITIONING_TO_BLUE", "TRANSITIONING_TO_GREEN":
            let what = state.hasPrefix("SAVEPOINTING")
                ? "taking a savepoint of \(state.hasSuffix("BLUE") ? "blue" : "green") before the transition"
                : "transitioning to \(state.hasSuffix("BLUE") ? "blue" : "green")"
            if let deadline = abortDeadline(status), deadline < now {
                return Health(.degraded, "blue/green: \(what) passed its abort deadline \(status["abortTimestamp"]?.stringValue ?? ""); the operator rolls back to the previous deployment")
            }
            return Health(.progressing, "blue/green: \(what)")
        case "":
            return Health(.progressing, "blue/green: the operator has not reported a state yet")
        default:
            return Health(.unknown, "blue/green state \(state) is not one Sluice knows")
        }
    }

    /// `abortTimestamp` when a transition set one; the epoch (`resetTransitionMarkers`) means none.
    private static func abortDeadline(_ status: Value) -> Date? {
        guard let text = status["abortTimestamp"]?.stringValue else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text),
              date.timeIntervalSince1970 > 0 else { return nil }
        return date
    }

    /// An ACTIVE_* status whose `lastReconciledSpec` (`{"spec": …}`, `SpecUtils.writeSpecAsJSON`) lacks
    /// a field the current `spec.template.spec` sets: the operator has not acted on the spec Sluice applied.
    /// Fields only in the reconciled copy are the operator's defaults and do not count.
    private static func unreconciledTransition(_ object: Value, status: Value) -> Health? {
        guard let text = status["lastReconciledSpec"]?.stringValue, text.utf8.count <= 4 << 20,
              let reconciled = try? JSON.decode(text),
              let applied = reconciled[path: "spec", "template", "spec"],
              let current = object[path: "spec", "template", "spec"] else { return nil }
        guard let field = firstUnreconciled(applied, current, path: "spec.template.spec") else { return nil }
        return Health(.progressing, "blue/green: the operator has not reconciled the current spec yet (\(field) differs)")
    }

    private static func firstUnreconciled(_ applied: Value?, _ current: Value, path: String) -> String? {
        if case .map(let wanted) = current.kind {
            guard case .map(let have)? = applied?.kind else { return path }
            for entry in wanted {
                if let field = firstUnreconciled(have[entry.key], entry.value, path: "\(path).\(entry.key)") { return field }
            }
            return nil
        }
        guard let applied else { return current.isNull ? nil : path }
        return applied.withoutLocations == current.withoutLocations || loosely(applied) == loosely(current) ? nil : path
    }

    /// Scalars as text, so that `2` and `"2"` (Java's serialisation of a map of strings) compare equal.
    private static func loosely(_ value: Value) -> String? {
        switch value.kind {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): String(b)
        case .double(let d): String(d)
        default: nil
        }
    }
}
