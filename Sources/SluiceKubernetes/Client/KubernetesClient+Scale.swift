import Foundation
import SluiceHTTP
import SluiceYAML

extension KubernetesClient {
    /// Where a kind keeps the replica count its `scale` subresource reads and writes (what a
    /// HorizontalPodAutoscaler changes), as keys: `[spec, taskManager, replicas]`.
    ///
    /// Discovery (cached) says whether the kind has a scale subresource (`<plural>/scale`). A custom
    /// resource's CustomResourceDefinition names the field (`spec.versions[].subresources.scale.
    /// specReplicasPath`); a built-in kind (no CRD of that name) keeps it in `spec.replicas`, as
    /// Deployments, StatefulSets, ReplicaSets and ReplicationControllers do. nil: no scale
    /// subresource. Throws when the server cannot be asked (a 403 on the CRD, say).
    public func scaleReplicasPath(apiVersion: String, kind: String) async throws -> [String]? {
        let resource = try await resource(apiVersion: apiVersion, kind: kind)
        guard resource.subresources.contains("scale") else { return nil }
        guard !resource.group.isEmpty else { return ["spec", "replicas"] }
        let crd = ObjectReference(apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: resource.qualifiedName)
        let definition: Value?
        do {
            definition = try await get(crd)
        } catch let error as KubernetesError where error.status == 404 {
            definition = nil  // a server without apiextensions: only built-in kinds
        }
        guard let definition else { return ["spec", "replicas"] }
        let version = (definition[path: "spec", "versions"]?.listValue ?? []).first { $0["name"]?.stringValue == resource.version }
        guard let path = version?[path: "subresources", "scale", "specReplicasPath"]?.stringValue else { return nil }
        return Self.fieldKeys(path)
    }

    /// `.spec.taskManager.replicas` → `[spec, taskManager, replicas]` (a CRD's scale paths are
    /// simple JSON paths: dot-separated field names under `.spec`).
    public static func fieldKeys(_ path: String) -> [String]? {
        let keys = path.split(separator: ".", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard path.hasPrefix("."), !keys.isEmpty, !keys.contains(where: \.isEmpty) else { return nil }
        return keys
    }

    /// The object's `autoscaling/v1` Scale; nil when the object does not exist.
    public func scale(_ ref: ObjectReference) async throws -> Value? {
        let (path, subject) = try await scalePath(ref, verb: "get")
        let response = try await send(.GET, path, subject: subject)
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw failure(response, subject) }
        return try decode(response, subject)
    }

    /// Sets the object's replicas through its scale subresource, as this client's field manager:
    /// a merge patch of `{"spec": {"replicas": n}}`, as `kubectl scale` sends it; the server records
    /// the manager in managedFields as an Update of the `scale` subresource.
    public func setScale(_ ref: ObjectReference, replicas: Int) async throws -> Value {
        let (path, subject) = try await scalePath(ref, verb: "patch")
        let body = Data(JSON.encode(["spec": ["replicas": .int(replicas)]]).utf8)
        let response = try await send(.PATCH, path, query: [("fieldManager", fieldManager)],
                                       body: .data(body, contentType: "application/merge-patch+json"), idempotent: true, subject: subject)
        guard response.isSuccess else { throw failure(response, subject) }
        return try decode(response, subject)
    }

    private func scalePath(_ ref: ObjectReference, verb: String) async throws -> (String, Subject) {
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        var shown = ref
        shown.namespace = self.namespace(for: resource, ref.namespace)
        let subject = Subject(verb: verb, object: "\(shown) (scale)", resource: "\(resource.qualifiedName)/scale")
        return (resource.objectPath(namespace: shown.namespace, name: ref.name) + "/scale", subject)
    }
}
