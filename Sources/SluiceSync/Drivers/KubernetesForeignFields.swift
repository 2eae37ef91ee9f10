import SluiceCore
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

extension KubernetesDriver {
    /// Removes fields other managers added to an object Sluice owns (self-heal), before the object
    /// is applied again.
    ///
    /// Server-side apply cannot do it: applying such a field with the value it already has makes
    /// Sluice a co-owner, not the owner (Kubernetes docs, Server-Side Apply, "Field management":
    /// "If two or more appliers set a field to the same value, they share ownership of that
    /// field"; force moves only fields whose value changes), and an apply without the field then
    /// only gives up Sluice's own claim. So the fields go with a JSON Patch, an Update that removes
    /// them whoever owns them, guarded by a `test` of the resourceVersion the plan read: an object
    /// changed since fails with 422 and nothing newer is removed.
    func removeForeignFields(_ changes: [FieldChange], from live: LiveObject) async throws {
        guard let ref = ObjectReference(live.value) else { return }
        guard let resourceVersion = live.resourceVersion else {
            throw ForeignFieldsNotRemoved(object: live.identity, cluster: cluster.name, fields: changes.map(\.path),
                                          reason: "the plan did not read its resourceVersion")
        }
        let patch = JSONPatch.removing(changes.map(\.keys), ifResourceVersion: resourceVersion)
        do {
            try await client.patch(ref, patch, type: .json)
        } catch let error as KubernetesError where error.status == 422 {
            throw ForeignFieldsNotRemoved(object: live.identity, cluster: cluster.name, fields: changes.map(\.path),
                                          reason: "it changed on the cluster after the plan read it (resourceVersion \(resourceVersion))")
        }
    }
}

/// Self-heal did not remove fields other managers added, because the object changed after the
/// plan read it (or the plan did not know which version it read).
public struct ForeignFieldsNotRemoved: SluiceError {
    public var object: ObjectIdentity
    public var cluster: String
    public var fields: [String]
    public var reason: String

    public var message: String {
        "self-heal left \(fields.joined(separator: ", ")) on \(object) on \(cluster): \(reason)"
    }

    public var hint: String? { "nothing was removed; the next sync plans against the object as it is now" }
}
