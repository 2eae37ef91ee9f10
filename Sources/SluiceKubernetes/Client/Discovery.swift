import SluiceHTTP
import SluiceYAML

/// The REST mapping learnt from discovery, per group/version. Concurrent lookups of one
/// group/version share one request.
actor ResourceCatalog {
    private var known: [String: [APIResource]] = [:]
    private var inFlight: [String: Task<[APIResource]?, Error>] = [:]

    /// The resources of `groupVersion` (nil when the server does not serve it) and whether they
    /// were fetched just now. `refresh` ignores the cache.
    func resources(_ groupVersion: String, refresh: Bool,
                   fetch: @escaping @Sendable () async throws -> [APIResource]?) async throws -> (resources: [APIResource]?, fresh: Bool) {
        if !refresh, let cached = known[groupVersion] { return (cached, false) }
        if let running = inFlight[groupVersion] { return (try await running.value, true) }
        let task = Task { try await fetch() }
        inFlight[groupVersion] = task
        defer { inFlight[groupVersion] = nil }
        let result = try await task.value
        known[groupVersion] = result
        return (result, true)
    }
}

extension KubernetesClient {
    /// The resource for `kind` in `apiVersion`, from cached discovery; when the kind is unknown the
    /// group/version is discovered once more (a CRD may have been installed since).
    public func resource(apiVersion: String, kind: String) async throws -> APIResource {
        var lookup = try await catalog.resources(apiVersion, refresh: false) { [self] in try await fetchResources(apiVersion) }
        if let found = lookup.resources?.first(where: { $0.kind == kind }) { return found }
        if !lookup.fresh {
            lookup = try await catalog.resources(apiVersion, refresh: true) { [self] in try await fetchResources(apiVersion) }
            if let found = lookup.resources?.first(where: { $0.kind == kind }) { return found }
        }
        let known = (lookup.resources ?? []).map(\.kind).sorted().joined(separator: ", ")
        throw KubernetesError(
            verb: "discover", object: "kind \(kind) in \(apiVersion)", server: displayServer, status: 404, reason: "NotFound",
            serverMessage: lookup.resources == nil ? "the server does not serve \(apiVersion)" : "\(apiVersion) has no kind \(kind) (it has \(known))",
            detailHint: nil)
    }

    /// Every resource the server serves, in the preferred version of each group (reads `/api`,
    /// `/apis` and each group/version document, and refreshes the cache).
    public func discover() async throws -> [APIResource] {
        let subject = Subject(verb: "get", object: "API discovery", resource: nil)
        var groupVersions: [String] = []
        let core = try await send(.GET, "/api", subject: subject)
        guard core.isSuccess else { throw failure(core, subject) }
        groupVersions += (try decode(core, subject)["versions"]?.listValue ?? []).compactMap(\.stringValue)
        let groups = try await send(.GET, "/apis", subject: subject)
        guard groups.isSuccess else { throw failure(groups, subject) }
        for group in try decode(groups, subject)["groups"]?.listValue ?? [] {
            if let preferred = group[path: "preferredVersion", "groupVersion"]?.stringValue { groupVersions.append(preferred) }
        }
        var all: [APIResource] = []
        for groupVersion in groupVersions {
            do {
                let lookup = try await catalog.resources(groupVersion, refresh: true) { [self] in try await fetchResources(groupVersion) }
                all += lookup.resources ?? []
            } catch let error as KubernetesError where (error.status ?? 0) >= 500 {
                // An aggregated API whose backend is down (metrics.k8s.io, say) must not hide the
                // rest, as kubectl carries on too; a lookup of one of its kinds reports the failure.
                continue
            }
        }
        return all
    }

    /// Reads `/api/v1` or `/apis/<group>/<version>`; nil when the server answers 404.
    private func fetchResources(_ apiVersion: String) async throws -> [APIResource]? {
        let subject = Subject(verb: "get", object: "API discovery for \(apiVersion)", resource: nil)
        let response = try await send(.GET, APIResource.groupVersionPath(apiVersion), subject: subject)
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw failure(response, subject) }
        let document = try decode(response, subject)
        let (group, version) = APIResource.split(apiVersion)
        let items = document["resources"]?.listValue ?? []
        var subresources: [String: Set<String>] = [:]
        for name in items.compactMap({ $0["name"]?.stringValue }) {
            let parts = name.split(separator: "/", maxSplits: 1)
            if parts.count == 2 { subresources[String(parts[0]), default: []].insert(String(parts[1])) }
        }
        return items.compactMap { item in
            // Subresources (`deployments/status`, `pods/log`) are not kinds of their own.
            guard let name = item["name"]?.stringValue, !name.contains("/"), let kind = item["kind"]?.stringValue else { return nil }
            var resource = APIResource(group: group, version: version, kind: kind, name: name,
                                       namespaced: item["namespaced"]?.boolValue ?? false,
                                       verbs: (item["verbs"]?.listValue ?? []).compactMap(\.stringValue))
            resource.subresources = subresources[name] ?? []
            return resource
        }
    }
}

extension KubernetesClient {
    /// The server's preferred version of an API group (`v1` for the core group), from `/apis`;
    /// nil when the server does not serve the group. For kinds known only by group and kind (an
    /// ApplySet's `contains-group-kinds`).
    public func preferredAPIVersion(group: String) async throws -> String? {
        if group.isEmpty { return "v1" }
        let subject = Subject(verb: "get", object: "API discovery", resource: nil)
        let response = try await send(.GET, "/apis", subject: subject)
        guard response.isSuccess else { throw failure(response, subject) }
        for entry in try decode(response, subject)["groups"]?.listValue ?? [] where entry["name"]?.stringValue == group {
            return entry[path: "preferredVersion", "groupVersion"]?.stringValue
        }
        return nil
    }
}
