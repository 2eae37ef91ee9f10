import Foundation
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// The client's contract, run against the fake API server and, with SLUICE_TEST_KUBECONFIG, a real one.
@Suite("Kubernetes client contract")
struct KubernetesClientContractTests {
    @Test("discovery maps kinds to resources", arguments: ContractTarget.available)
    func discovery(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let deployments = try await cluster.client.resource(apiVersion: "apps/v1", kind: "Deployment")
            #expect(deployments.name == "deployments")
            #expect(deployments.namespaced)
            #expect(deployments.verbs.contains("patch"))
            let namespaces = try await cluster.client.resource(apiVersion: "v1", kind: "Namespace")
            #expect(namespaces.name == "namespaces" && !namespaces.namespaced)
            let all = try await cluster.client.discover()
            #expect(all.contains { $0.apiVersion == "coordination.k8s.io/v1" && $0.kind == "Lease" && $0.name == "leases" })
            #expect(!all.contains { $0.name.contains("/") })
            let error = await expectError(KubernetesError.self) {
                _ = try await cluster.client.resource(apiVersion: "v1", kind: "NoSuchKind")
            }
            #expect(error?.message.contains("NoSuchKind") == true)
        }
    }

    @Test("server-side apply creates, re-applies without change, updates and prunes its own fields", arguments: ContractTarget.available)
    func applyLifecycle(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let created = try await cluster.client.apply(cluster.configMap("settings", data: ["a": "1", "b": "2"]))
            let firstVersion = try #require(created[path: "metadata", "resourceVersion"]?.stringValue)
            #expect(created[path: "data", "a"]?.stringValue == "1")
            let managers = created[path: "metadata", "managedFields"]?.listValue ?? []
            #expect(managers.contains { $0["manager"]?.stringValue == "sluice" && $0["operation"]?.stringValue == "Apply" })

            let again = try await cluster.client.apply(cluster.configMap("settings", data: ["a": "1", "b": "2"]))
            #expect(again[path: "metadata", "resourceVersion"]?.stringValue == firstVersion)

            let updated = try await cluster.client.apply(cluster.configMap("settings", data: ["a": "3"]))
            #expect(updated[path: "metadata", "resourceVersion"]?.stringValue != firstVersion)
            #expect(updated[path: "data", "a"]?.stringValue == "3")
            #expect(updated[path: "data", "b"] == nil, "a field no longer applied and owned by no one else is removed")

            let live = try #require(try await cluster.client.get(cluster.configMapRef("settings")))
            #expect(live[path: "data", "a"]?.stringValue == "3")
            #expect(ObjectReference(live) == cluster.configMapRef("settings"))
        }
    }

    @Test("an apply conflict names the field and its manager; force takes the field over", arguments: ContractTarget.available)
    func applyConflict(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            _ = try await cluster.client.apply(cluster.configMap("shared", data: ["key": "ours", "mine": "x"]))
            let other = try cluster.client(fieldManager: "other-tool")
            let conflict = await expectError(ApplyConflict.self) {
                _ = try await other.apply(cluster.configMap("shared", data: ["key": "theirs"]))
            }
            #expect(conflict?.conflicts == [ApplyConflict.Field(field: ".data.key", manager: "sluice")])
            #expect(conflict?.message.contains(".data.key (owned by sluice)") == true)
            #expect(conflict?.message.contains(cluster.client.server.absoluteString.trimmingCharacters(in: ["/"])) == true)

            let forced = try await other.apply(cluster.configMap("shared", data: ["key": "theirs"]), force: true)
            #expect(forced[path: "data", "key"]?.stringValue == "theirs")
            #expect(forced[path: "data", "mine"]?.stringValue == "x")
            let owners = forced[path: "metadata", "managedFields"]?.listValue ?? []
            let otherFields = owners.first { $0["manager"]?.stringValue == "other-tool" }?[path: "fieldsV1", "f:data"]
            #expect(otherFields?["f:key"] != nil)
        }
    }

    @Test("dryRun=All returns the defaulted object and stores nothing", arguments: ContractTarget.available)
    func dryRun(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let manifest = try YAML.parseDocument("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: \(cluster.namespace)}
                spec:
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers: [{name: web, image: nginx:1.27}]
                """)
            let result = try await cluster.client.apply(manifest, dryRun: true)
            #expect(result[path: "spec", "replicas"]?.intValue == 1)
            #expect(result[path: "spec", "progressDeadlineSeconds"]?.intValue == 600)
            let ref = try #require(ObjectReference(manifest))
            #expect(try await cluster.client.get(ref) == nil)
        }
    }

    @Test("list follows continue pages and filters by label selector", arguments: ContractTarget.available)
    func listPages(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            for index in 0..<7 {
                let labels = ["app": index < 5 ? "x" : "y", "tier": index % 2 == 0 ? "db" : "web"]
                _ = try await cluster.client.apply(cluster.configMap("cm-\(index)", data: ["i": "\(index)"], labels: labels))
            }
            func names(_ selector: String) async throws -> [String] {
                try await cluster.client.list(apiVersion: "v1", kind: "ConfigMap", namespace: cluster.namespace,
                                              labelSelector: selector, pageSize: 2)
                    .compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted()
            }
            #expect(try await names("app=x") == ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"])
            #expect(try await names("app in (x,y),tier!=db") == ["cm-1", "cm-3", "cm-5"])
            #expect(try await names("app notin (x),tier") == ["cm-5", "cm-6"])
            let items = try await cluster.client.list(apiVersion: "v1", kind: "ConfigMap", namespace: cluster.namespace,
                                                      labelSelector: "app", pageSize: 3)
            #expect(items.count == 7)
            #expect(items.allSatisfy { $0["kind"]?.stringValue == "ConfigMap" && $0["apiVersion"]?.stringValue == "v1" })
            if let fake = cluster.fake {
                #expect(try fake.requests().contains { $0.contains("continue=") })
            }
        }
    }

    @Test("delete removes the object (background propagation, as kubectl); deleting a missing object is fine", arguments: ContractTarget.available)
    func delete(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            _ = try await cluster.client.apply(cluster.configMap("doomed", data: ["a": "1"]))
            try await cluster.client.delete(cluster.configMapRef("doomed"))
            #expect(try await cluster.isGone(cluster.configMapRef("doomed")))
            try await cluster.client.delete(cluster.configMapRef("doomed"))
            if let fake = cluster.fake {
                let path = "/api/v1/namespaces/\(cluster.namespace)/configmaps/doomed?propagationPolicy=Background"
                #expect(try fake.requests().filter { $0 == "DELETE \(path)" }.count == 2)
            }
        }
    }

    @Test("ensureNamespace creates a namespace and adds labels", arguments: ContractTarget.available)
    func namespaces(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let name = cluster.namespace + "-extra"
            let ref = ObjectReference(apiVersion: "v1", kind: "Namespace", name: name)
            defer { Task { try? await cluster.client.delete(ref, propagation: "Background") } }
            try await cluster.client.ensureNamespace(name, labels: ["team": "a"])
            try await cluster.client.ensureNamespace(name, labels: ["team": "a", "env": "test"])
            let live = try #require(try await cluster.client.get(ref))
            #expect(live[path: "metadata", "labels", "team"]?.stringValue == "a")
            #expect(live[path: "metadata", "labels", "env"]?.stringValue == "test")
            try await cluster.client.delete(ref, propagation: "Background")
        }
    }

    @Test("an object in a missing namespace is a clear 404 error", arguments: ContractTarget.available)
    func missingNamespace(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            var manifest = cluster.configMap("lost", data: [:])
            let missing = cluster.namespace + "-missing"
            if var map = manifest.mapValue, var metadata = map["metadata"]?.mapValue {
                metadata["namespace"] = .string(missing)
                map["metadata"] = .map(metadata)
                manifest = .map(map)
            }
            let error = await expectError(KubernetesError.self) { _ = try await cluster.client.apply(manifest) }
            #expect(error?.status == 404)
            #expect(error?.message.contains("ConfigMap \(missing)/lost") == true)
            #expect(error?.message.contains(missing) == true)
            #expect(error?.hint?.contains("namespace") == true)
            let lost = try await cluster.client.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: missing, name: "lost"))
            #expect(lost == nil)
        }
    }

    @Test("leases: acquire, renew, refuse while held, take over after expiry", arguments: ContractTarget.available)
    func lease(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let client = cluster.client, ns = cluster.namespace
            // Expiry is judged on the contender's clock: explicit times keep a busy test machine from
            // expiring a lease between two steps.
            let start = Date()
            func acquire(_ holder: String, at seconds: TimeInterval) async throws -> Bool {
                try await client.tryAcquireLease(namespace: ns, name: "leader", holder: holder, duration: .seconds(10),
                                                 now: start.addingTimeInterval(seconds))
            }
            #expect(try await acquire("a", at: 0))
            #expect(try await !acquire("b", at: 1), "held")
            #expect(try await acquire("a", at: 8), "renewed")
            #expect(try await !acquire("b", at: 15), "the renewal holds it until 18 s")
            #expect(try await acquire("b", at: 19), "expired: taken over")
            #expect(try await !acquire("a", at: 20))
            let lease = try #require(try await client.get(ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: ns, name: "leader")))
            #expect(lease[path: "spec", "holderIdentity"]?.stringValue == "b")
            #expect(lease[path: "spec", "leaseTransitions"]?.intValue == 1)
        }
    }

    @Test("concurrent contenders for a new or an expired lease: exactly one wins", arguments: ContractTarget.available)
    func leaseRace(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let start = Date()
            func race(_ round: Int, at seconds: TimeInterval) async throws -> Int {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<6 {
                        group.addTask {
                            try await cluster.client.tryAcquireLease(namespace: cluster.namespace, name: "race",
                                                                     holder: "candidate-\(round)-\(index)", duration: .seconds(10),
                                                                     now: start.addingTimeInterval(seconds))
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
            }
            let creators = try await race(1, at: 0)
            #expect(creators == 1, "creation: the others get 409 AlreadyExists")
            let takers = try await race(2, at: 11)
            #expect(takers == 1, "takeover: the others' updates carry a stale resourceVersion (409)")
        }
    }

    @Test("many applies in parallel", arguments: ContractTarget.available)
    func parallelApplies(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let count = 150
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        _ = try await cluster.client.apply(cluster.configMap("p-\(index)", data: ["i": "\(index)"], labels: ["batch": "p"]))
                    }
                }
                try await group.waitForAll()
            }
            let items = try await cluster.client.list(apiVersion: "v1", kind: "ConfigMap", namespace: cluster.namespace,
                                                      labelSelector: "batch=p")
            #expect(Set(items.compactMap { $0[path: "data", "i"]?.stringValue }).count == count)
        }
    }

    @Test("real API server contract tests",
          .enabled(if: ContractTarget.realKubeconfig != nil,
                   "SLUICE_TEST_KUBECONFIG is not set: the contract tests ran against the fake API server only"))
    func realServerReachable() async throws {
        try await withCluster(.real) { cluster in
            let namespace = try await cluster.client.get(ObjectReference(apiVersion: "v1", kind: "Namespace", name: cluster.namespace))
            #expect(namespace != nil)
        }
    }
}
