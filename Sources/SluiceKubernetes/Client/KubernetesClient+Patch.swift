import Foundation
import SluiceHTTP
import SluiceYAML

/// The non-apply patch formats the API server accepts. A patch of either kind is an Update: the
/// fields it changes or adds move to this client's field manager, and the fields it removes leave
/// every manager's set, whoever owned them.
public enum PatchType: String, Sendable {
    /// RFC 6902 JSON Patch: a list of operations (`test`, `remove`, `add`, ...), all or nothing.
    case json = "application/json-patch+json"
    /// RFC 7386 JSON Merge Patch: maps merge, `null` removes a key, lists are replaced.
    case merge = "application/merge-patch+json"
}

/// Building RFC 6902 JSON Patches.
public enum JSONPatch {
    /// The RFC 6901 JSON Pointer of a field (`["metadata", "annotations", "example.com/x"]` →
    /// `/metadata/annotations/example.com~1x`).
    public static func pointer(_ keys: [String]) -> String {
        keys.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    /// Operations that remove the fields at `paths` only if the object is still at
    /// `resourceVersion`: a `test` of `/metadata/resourceVersion` first, so that an object changed
    /// since it was read fails the whole patch (HTTP 422) instead of losing something newer. A
    /// field under another one removed too is left to that removal.
    public static func removing(_ paths: [[String]], ifResourceVersion resourceVersion: String) -> Value {
        var operations: [Value] = [["op": "test", "path": "/metadata/resourceVersion", "value": .string(resourceVersion)]]
        var removed: [[String]] = []
        for keys in Set(paths).sorted(by: { ($0.count, $0.joined(separator: "\u{0}")) < ($1.count, $1.joined(separator: "\u{0}")) })
        where !keys.isEmpty && !removed.contains(where: { keys.starts(with: $0) }) {
            removed.append(keys)
            operations.append(["op": "remove", "path": .string(pointer(keys))])
        }
        return .list(operations)
    }
}

extension KubernetesClient {
    /// Patches the object as this client's field manager with a JSON Patch (`patch` is a list of
    /// operations) or a JSON Merge Patch (a map). Not retried after a failure in transit: a patch
    /// that tests the resourceVersion would fail its retry after a first attempt that went through.
    /// A failed `test` (or a `remove` of a field that is gone) is a `KubernetesError` with status 422.
    @discardableResult
    public func patch(_ ref: ObjectReference, _ patch: Value, type: PatchType, dryRun: Bool = false) async throws -> Value {
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        var shown = ref
        shown.namespace = namespace(for: resource, ref.namespace)
        let scope: KubernetesError.Scope = resource.namespaced ? .namespace(shown.namespace ?? defaultNamespace) : .clusterScoped
        let subject = Subject(verb: "patch", object: shown.description, resource: resource.qualifiedName, scope: scope)
        var query = [("fieldManager", fieldManager)]
        if dryRun { query.append(("dryRun", "All")) }
        let response = try await send(.PATCH, resource.objectPath(namespace: shown.namespace, name: ref.name), query: query,
                                      body: .data(Data(JSON.encode(patch).utf8), contentType: type.rawValue),
                                      idempotent: false, subject: subject)
        guard response.isSuccess else { throw failure(response, subject) }
        return try decode(response, subject)
    }
}
