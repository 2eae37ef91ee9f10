import Foundation
import SluiceCore
import SluiceFlink
import SluiceSpec
import SluiceKubernetes
import SluiceYAML

/// The last savepoint of jobs whose own status has none, from the operator's FlinkStateSnapshot
/// resources (operator 1.10+, `kubernetes.operator.snapshot.resource.enabled`, default true, where
/// `savepointInfo.lastSavepoint` stays empty). One paged LIST per namespace per reading.
///
/// Per snapshot (operator `FlinkStateSnapshotSpec`, `FlinkStateSnapshotStatus`, `JobReference`,
/// `FlinkStateSnapshotUtils.snapshotSuccessful`): a savepoint has `spec.savepoint` set
/// (`isSavepoint`); `spec.jobReference` names the job's `kind` and `name`, in the snapshot's own
/// namespace; `status.state` `COMPLETED` means taken; `status.path` is where it is;
/// `status.resultTimestamp` (RFC 3339, `DateTimeUtils.kubernetes`) is when the operator saw it
/// complete. `spec.savepoint.alreadyExists` snapshots only register a savepoint taken elsewhere
/// (their result time is the registration), so they are not taken as the job's last savepoint.
extension KubernetesDriver {
    /// Snapshots read per namespace at most; past it the namespace's savepoints stay unknown
    /// (the list is in name order, so a partial read cannot tell the newest).
    static let maxStateSnapshotsPerNamespace = 20_000

    struct SnapshotKey: Hashable {
        var namespace: String
        var kind: String
        var name: String
    }

    /// Fills `lastSavepoint` (source `snapshot`) of the observations of objects on the cluster (`present`) that have none, for the
    /// namespaces whose list can start before `deadline`. Never fails: a missing or forbidden kind,
    /// or a failed list, leaves them null.
    func addSnapshotSavepoints(_ observed: inout [ObjectIdentity: JobObservation], of present: Set<ObjectIdentity>, apiVersion: String, deadline: ContinuousClock.Instant) async {
        let wanting = observed.filter { present.contains($0.key) && $0.value.lastSavepoint == nil }.keys
        guard !wanting.isEmpty, !state.stateSnapshotsAbsent else { return }
        // Jobs are namespaced; an identity without a namespace is left as its status says.
        for namespace in Set(wanting.compactMap(\.namespace)).sorted() {
            guard ContinuousClock.now < deadline else { return }
            let newest: [SnapshotKey: JobObservation.Savepoint]
            do {
                newest = try await Self.newestSavepoints(client: client, apiVersion: apiVersion, namespace: namespace)
            } catch let error as KubernetesError where error.status == 404 {
                // No FlinkStateSnapshot kind (an operator before 1.10; discovery lacks it, or a list
                // of a namespace, which is never 404 for a served kind): not asked again by this driver.
                state.stateSnapshotsAbsent = true
                return
            } catch {
                // Forbidden (no RBAC list for the kind here), unreachable or too many: unknown in this
                // namespace for this reading. A 403 is not remembered: RBAC is per namespace and may be
                // granted at any time, and the next reading (the status board's, at most one per its
                // max age) shows the savepoints without a restart.
                continue
            }
            for identity in wanting where identity.namespace == namespace {
                if let savepoint = newest[SnapshotKey(namespace: namespace, kind: identity.kind, name: identity.name)] {
                    observed[identity]?.lastSavepoint = savepoint
                }
            }
        }
    }

    private struct TooManySnapshots: Error {}

    static func newestSavepoints(client: KubernetesClient, apiVersion: String, namespace: String) async throws -> [SnapshotKey: JobObservation.Savepoint] {
        var newest: [SnapshotKey: JobObservation.Savepoint] = [:]
        var count = 0
        try await client.list(apiVersion: apiVersion, kind: "FlinkStateSnapshot", namespace: namespace, labelSelector: "") { snapshot in
            count += 1
            guard count <= maxStateSnapshotsPerNamespace else { throw TooManySnapshots() }
            guard let (job, savepoint) = completedSavepoint(snapshot, namespace: namespace) else { return }
            if let known = newest[job], (known.completedAt ?? .distantPast) >= (savepoint.completedAt ?? .distantPast) { return }
            newest[job] = savepoint
        }
        return newest
    }

    /// The job a snapshot belongs to and the savepoint it records, when it is a completed savepoint
    /// taken of a FlinkDeployment or FlinkSessionJob.
    static func completedSavepoint(_ snapshot: Value, namespace: String) -> (SnapshotKey, JobObservation.Savepoint)? {
        guard let savepointSpec = snapshot[path: "spec", "savepoint"], savepointSpec.mapValue != nil,
              savepointSpec["alreadyExists"]?.boolValue != true,
              snapshot[path: "status", "state"]?.stringValue == "COMPLETED",
              let kind = snapshot[path: "spec", "jobReference", "kind"]?.stringValue,
              kind == "FlinkDeployment" || kind == "FlinkSessionJob",
              let name = snapshot[path: "spec", "jobReference", "name"]?.stringValue, !name.isEmpty, name.utf8.count <= 253,
              let path = snapshot[path: "status", "path"]?.stringValue, !path.isEmpty, path.count <= maxSavepointLocation
        else { return nil }
        let completed = snapshot[path: "status", "resultTimestamp"]?.stringValue.flatMap(kubernetesTime)
        return (SnapshotKey(namespace: namespace, kind: kind, name: name), .init(path: path, completedAt: completed, source: "snapshot"))
    }

    /// An RFC 3339 time as Java's `ISO_INSTANT` writes it (fractional seconds only when non-zero).
    static func kubernetesTime(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
