import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// deploy/rbac.yaml must allow every call the Kubernetes driver and leader election make: the
/// calls are taken from the fake API server's request log of a real sync, prune and lease round.
@Suite("deploy/rbac.yaml covers what Sluice calls")
struct DeployRBACTests {
    struct Rule {
        var groups: Set<String>, resources: Set<String>, verbs: Set<String>, nonResourceURLs: [String]
    }

    static func rules() throws -> [Rule] {
        let file = SluiceBinary.repositoryRoot.appendingPathComponent("deploy/rbac.yaml")
        let documents = try YAML.parseDocuments(Array(try Data(contentsOf: file)), file: "deploy/rbac.yaml")
        return documents.filter { ["ClusterRole", "Role"].contains($0["kind"]?.stringValue ?? "") }.flatMap { document in
            (document["rules"]?.listValue ?? []).map { rule in
                func strings(_ key: String) -> [String] { rule[key]?.listValue?.compactMap(\.stringValue) ?? [] }
                return Rule(groups: Set(strings("apiGroups")), resources: Set(strings("resources")), verbs: Set(strings("verbs")),
                            nonResourceURLs: strings("nonResourceURLs"))
            }
        }
    }

    /// (verb, group, resource) of a logged `METHOD /path?query`, or the non-resource path.
    static func permission(_ line: String) -> (verb: String, group: String, resource: String)? {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let path = parts[1].split(separator: "?").first.map(String.init) ?? parts[1]
        var segments = path.split(separator: "/").map(String.init)
        let group: String
        if segments.first == "api", segments.count >= 2 { group = ""; segments.removeFirst(2) }
        else if segments.first == "apis", segments.count >= 3 { group = segments[1]; segments.removeFirst(3) }
        else { return nil }
        if segments.isEmpty { return nil }  // discovery of a group version
        if segments.first == "namespaces", segments.count >= 3 { segments.removeFirst(2) }
        let resource = segments[0]
        let named = segments.count >= 2
        let verb: String
        switch parts[0] {
        case "GET": verb = named ? "get" : "list"
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = "delete"
        default: verb = parts[0].lowercased()
        }
        return (verb, group, resource)
    }

    @Test("every verb and resource of a sync, a prune and a leader election round is granted")
    func covered() async throws {
        let world = try KubernetesDriverTests.World()
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }
        _ = try await world.sync()
        try world.deployment(present: false)
        var pruning = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        pruning.prune = true
        _ = try await world.sync(pruning)
        let elector = LeaderElector(client: world.client, namespace: "default", name: "sluice", holder: "a", duration: .seconds(5))
        #expect(await elector.step())
        #expect(await elector.step())
        // A long Lease: a replica owns a shard only until 2/3 of it after its last renewal, and a
        // full run on two cores can hold this test for seconds between two awaits.
        let shards = ShardCoordinator(client: world.client, configuration: .init(names: ShardLeaseNames(namespace: "default", group: "sluice"),
                                                                                  map: ShardMap(count: 2), holder: "a", duration: .seconds(60)))
        await shards.step()
        await shards.step()
        #expect(await shards.ownedShards() == [0, 1], "\(String(describing: shards.table.error))")
        await shards.releaseAll()

        let rules = try Self.rules()
        var seen = Set<String>()
        for line in try world.fake.requests() where !line.contains("/__fake/") {
            let path = String(line.split(separator: " ").last ?? "").split(separator: "?").first.map(String.init) ?? ""
            guard let permission = Self.permission(line) else {
                let granted = rules.contains { rule in rule.verbs.contains("get") && rule.nonResourceURLs.contains { pattern in
                    pattern.hasSuffix("*") ? path.hasPrefix(String(pattern.dropLast())) : path == pattern } }
                #expect(granted, "no rule grants \(line)")
                continue
            }
            let key = "\(permission.verb) \(permission.resource).\(permission.group)"
            seen.insert(key)
            let granted = rules.contains { $0.groups.contains(permission.group) && $0.resources.contains(permission.resource) && $0.verbs.contains(permission.verb) }
            #expect(granted, "deploy/rbac.yaml does not grant \(key) (request: \(line))")
        }
        // The log really covered the driver's calls.
        for needed in ["list configmaps.", "patch configmaps.", "patch flinkdeployments.flink.apache.org", "delete flinkdeployments.flink.apache.org",
                       "update leases.coordination.k8s.io", "list leases.coordination.k8s.io"] {
            #expect(seen.contains(needed), "\(needed) was not exercised: \(seen.sorted())")
        }
        #expect(seen.contains { $0.hasSuffix(" namespaces.") }, "the namespace of the environment was not ensured: \(seen.sorted())")
    }
}
