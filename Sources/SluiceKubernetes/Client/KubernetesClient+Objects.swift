import Foundation
import SluiceHTTP
import SluiceYAML

extension KubernetesClient {
    /// The namespace a request for `resource` uses: the reference's, else the connection's default
    /// (namespaced kinds), or none (cluster-scoped kinds).
    func namespace(for resource: APIResource, _ namespace: String?) -> String? {
        resource.namespaced ? (namespace ?? defaultNamespace) : nil
    }

    private func subject(_ verb: String, _ ref: ObjectReference, _ resource: APIResource?) -> Subject {
        var shown = ref
        if let resource { shown.namespace = namespace(for: resource, ref.namespace) }
        let scope: KubernetesError.Scope? = resource.map { resource in
            resource.namespaced ? .namespace(shown.namespace ?? defaultNamespace) : .clusterScoped
        }
        return Subject(verb: verb, object: shown.description, resource: resource?.qualifiedName, scope: scope)
    }

    /// The live object, or nil when it does not exist (404).
    public func get(_ ref: ObjectReference) async throws -> Value? {
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        let subject = subject("get", ref, resource)
        let response = try await send(.GET, resource.objectPath(namespace: namespace(for: resource, ref.namespace), name: ref.name),
                                      subject: subject)
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw failure(response, subject) }
        return try decode(response, subject)
    }

    /// Server-side apply of `object` as this client's field manager: creates it or merges the
    /// fields given into the live object, and removes fields this manager applied before but no
    /// longer does. `force` takes over fields other managers own; `dryRun` returns the result
    /// (with defaults filled in) without storing it. Throws `ApplyConflict` when other managers own
    /// fields that this apply would change.
    public func apply(_ object: Value, force: Bool = false, dryRun: Bool = false) async throws -> Value {
        guard var ref = ObjectReference(object) else {
            throw KubernetesError(verb: "patch", object: "an object without apiVersion, kind or metadata.name", server: displayServer,
                                  status: nil, serverMessage: "nothing was sent",
                                  detailHint: "every manifest needs apiVersion, kind and metadata.name")
        }
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        ref.namespace = namespace(for: resource, ref.namespace)
        let subject = subject("patch", ref, resource)
        var body = object
        // The apply body must not carry managedFields; a namespaced object names its namespace.
        if var metadata = object["metadata"]?.mapValue {
            metadata["managedFields"] = nil
            if resource.namespaced, let namespace = ref.namespace { metadata["namespace"] = .string(namespace) }
            if var map = body.mapValue { map["metadata"] = .map(metadata); body = .map(map) }
        }
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        if dryRun { query.append(("dryRun", "All")) }
        var request = Data(JSON.encode(body).utf8)
        if request.isEmpty { request = Data("{}".utf8) }
        // Apply is idempotent: sending the same configuration twice has the effect of once.
        let response = try await send(.PATCH, resource.objectPath(namespace: ref.namespace, name: ref.name), query: query,
                                      body: .data(request, contentType: "application/apply-patch+yaml"),
                                      idempotent: true, subject: subject)
        if response.status == 409 {
            let status = KubernetesError.parseStatus([UInt8](response.body))
            let fields = ApplyConflict.fields(from: status.details)
            if !fields.isEmpty || status.message?.hasPrefix("Apply failed") == true {
                throw ApplyConflict(object: ref, server: displayServer, conflicts: fields, serverMessage: status.message ?? "")
            }
        }
        guard response.isSuccess else { throw failure(response, subject) }
        return try decode(response, subject)
    }

    /// Deletes the object with the given propagation policy (`Background`, kubectl's default,
    /// `Foreground` or `Orphan`); an object that is already gone is fine.
    public func delete(_ ref: ObjectReference, propagation: String = "Background") async throws {
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        let subject = subject("delete", ref, resource)
        let response = try await send(.DELETE, resource.objectPath(namespace: namespace(for: resource, ref.namespace), name: ref.name),
                                      query: [("propagationPolicy", propagation)], subject: subject)
        if response.status == 404 { return }
        guard response.isSuccess else { throw failure(response, subject) }
    }

    /// The finalizers an object still waits for while it is being deleted (it has a
    /// `deletionTimestamp`); nil when it is not being deleted.
    public static func pendingFinalizers(_ object: Value) -> [String]? {
        guard object[path: "metadata", "deletionTimestamp"]?.stringValue != nil else { return nil }
        return (object[path: "metadata", "finalizers"]?.listValue ?? []).compactMap(\.stringValue)
    }

    /// The objects of `kind` matching `labelSelector` (all namespaces when `namespace` is nil),
    /// following `continue` pages. Each item carries apiVersion and kind (lists leave them out).
    public func list(apiVersion: String, kind: String, namespace: String?, labelSelector: String) async throws -> [Value] {
        try await list(apiVersion: apiVersion, kind: kind, namespace: namespace, labelSelector: labelSelector, pageSize: 500)
    }

    /// `list` with an explicit page size (the `limit` of each request).
    public func list(apiVersion: String, kind: String, namespace: String?, labelSelector: String, pageSize: Int) async throws -> [Value] {
        var items: [Value] = []
        try await list(apiVersion: apiVersion, kind: kind, namespace: namespace, labelSelector: labelSelector, pageSize: pageSize) { items.append($0) }
        return items
    }

    /// Hands each matching object to `each` as its page arrives, so a caller that keeps only a
    /// summary never holds the whole list.
    public func list(apiVersion: String, kind: String, namespace: String?, labelSelector: String, pageSize: Int = 500,
                     each: (Value) throws -> Void) async throws {
        let resource = try await resource(apiVersion: apiVersion, kind: kind)
        let scope = resource.namespaced ? (namespace.map { " in \($0)" } ?? " in all namespaces") : ""
        let errorScope: KubernetesError.Scope = resource.namespaced ? (namespace.map { .namespace($0) } ?? .allNamespaces) : .clusterScoped
        let subject = Subject(verb: "list", object: "\(kind) objects\(scope)", resource: resource.qualifiedName, scope: errorScope)
        var token: String?
        var seen: Set<String> = []
        // Bounded: a server that hands out the same continue token again would loop forever.
        for _ in 0..<100_000 {
            var query = [("limit", String(max(1, pageSize)))]
            if !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
            if let token { query.append(("continue", token)) }
            let response = try await send(.GET, resource.collectionPath(namespace: resource.namespaced ? namespace : nil),
                                          query: query, subject: subject)
            guard response.isSuccess else { throw failure(response, subject) }
            let page = try decode(response, subject)
            for item in page["items"]?.listValue ?? [] {
                try each(Self.withTypeMeta(item, apiVersion: resource.apiVersion, kind: resource.kind))
            }
            guard let next = page[path: "metadata", "continue"]?.stringValue, !next.isEmpty else { return }
            guard seen.insert(next).inserted else {
                throw KubernetesError(verb: "list", object: subject.object, server: displayServer,
                                      serverMessage: "the server repeated a continue token", resource: subject.resource)
            }
            token = next
        }
        throw KubernetesError(verb: "list", object: subject.object, server: displayServer,
                              serverMessage: "more than 100000 pages", resource: subject.resource)
    }

    /// Creates the namespace, or adds `labels` to it (server-side apply: labels set by others stay).
    public func ensureNamespace(_ name: String, labels: [String: String]) async throws {
        var labelMap = Mapping()
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { labelMap[key] = .string(value) }
        var metadata = Mapping()
        metadata["name"] = .string(name)
        if !labelMap.isEmpty { metadata["labels"] = .map(labelMap) }
        let namespace: Value = ["apiVersion": "v1", "kind": "Namespace", "metadata": .map(metadata)]
        _ = try await apply(namespace)
    }

    /// `item` with apiVersion and kind first, as in a single-object GET.
    static func withTypeMeta(_ item: Value, apiVersion: String, kind: String) -> Value {
        guard let map = item.mapValue else { return item }
        var out = Mapping([.init(key: "apiVersion", value: .string(apiVersion)), .init(key: "kind", value: .string(kind))])
        for entry in map where entry.key != "apiVersion" && entry.key != "kind" { out.append(entry) }
        return .map(out)
    }
}
