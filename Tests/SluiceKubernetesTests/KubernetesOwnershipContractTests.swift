import Foundation
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// What Sluice's ownership, deletes and namespaced operation rely on from the API server, run
/// against the fake and, with SLUICE_TEST_KUBECONFIG, a real API server.
@Suite("Kubernetes ownership contract")
struct KubernetesOwnershipContractTests {
    @Test("ApplySet labels select members, leftovers without a part-of label, and parents", arguments: ContractTarget.available)
    func applySetSelectors(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let ours = ApplySet(instance: "contract", cluster: "c", environment: "e", namespace: cluster.namespace)
            let theirs = ApplySet(instance: "contract", cluster: "c", environment: "other", namespace: cluster.namespace)
            _ = try await cluster.client.apply(ours.parent(groupKinds: ["ConfigMap"], namespaces: [cluster.namespace]))
            _ = try await cluster.client.apply(cluster.configMap("member", data: ["a": "1"],
                                                                 labels: [ApplySet.partOfLabel: ours.id, "app.kubernetes.io/managed-by": "sluice"]))
            _ = try await cluster.client.apply(cluster.configMap("foreign", data: ["a": "1"],
                                                                 labels: [ApplySet.partOfLabel: theirs.id, "app.kubernetes.io/managed-by": "sluice"]))
            _ = try await cluster.client.apply(cluster.configMap("legacy", data: ["a": "1"], labels: ["app.kubernetes.io/managed-by": "sluice"]))

            func names(_ selector: String) async throws -> [String] {
                try await cluster.client.list(apiVersion: "v1", kind: "ConfigMap", namespace: cluster.namespace, labelSelector: selector)
                    .compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted()
            }
            #expect(try await names("\(ApplySet.partOfLabel) in (\(ours.id))") == ["member"])
            #expect(try await names("\(ApplySet.partOfLabel) in (\(ours.id),\(theirs.id))") == ["foreign", "member"])
            #expect(try await names("app.kubernetes.io/managed-by=sluice,!\(ApplySet.partOfLabel)") == ["legacy"])
            let parents = try await cluster.client.list(apiVersion: "v1", kind: "ConfigMap", namespace: cluster.namespace,
                                                        labelSelector: "\(ApplySet.scopeLabel)=\(ApplySet.scope(instance: "contract", cluster: "c"))")
            #expect(parents.count == 1)
            let found = try ApplySet.found(try #require(parents.first))
            #expect(found.set.id == ours.id)
            #expect(found.groupKinds == ["ConfigMap"])
        }
    }

    @Test("a delete held by a finalizer leaves the object with a deletionTimestamp until the finalizer goes", arguments: ContractTarget.available)
    func finalizers(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let controller = try cluster.client(fieldManager: "contract-controller")
            var held = cluster.configMap("held", data: ["a": "1"])
            if case .map(var root) = held.kind, var metadata = root["metadata"]?.mapValue {
                metadata["finalizers"] = ["example.com/hold"]
                root["metadata"] = .map(metadata)
                held.kind = .map(root)
            }
            _ = try await controller.apply(held)
            try await cluster.client.delete(cluster.configMapRef("held"), propagation: "Background")
            let deleting = try #require(try await cluster.client.get(cluster.configMapRef("held")))
            #expect(KubernetesClient.pendingFinalizers(deleting) == ["example.com/hold"])

            // No new finalizers while it is being deleted.
            var more = held
            if case .map(var root) = more.kind, var metadata = root["metadata"]?.mapValue {
                metadata["finalizers"] = ["example.com/hold", "example.com/another"]
                root["metadata"] = .map(metadata)
                more.kind = .map(root)
            }
            let refused = await expectError(KubernetesError.self) { _ = try await controller.apply(more) }
            #expect(refused?.status == 422, "\(refused?.message ?? "")")

            var released = cluster.configMap("held", data: ["a": "1"])
            if case .map(var root) = released.kind, var metadata = root["metadata"]?.mapValue {
                metadata["finalizers"] = .list([])
                root["metadata"] = .map(metadata)
                released.kind = .map(root)
            }
            _ = try await controller.apply(released)
            #expect(try await cluster.isGone(cluster.configMapRef("held")))
        }
    }

    @Test("credentials bound in one namespace may list there but not across all namespaces", arguments: ContractTarget.available)
    func namespacedRBAC(target: ContractTarget) async throws {
        // A real cluster needs a second kubeconfig whose user a RoleBinding binds in one namespace.
        let client: KubernetesClient
        let allowed: String
        let fake: KubeFakeServer?
        switch target {
        case .fake:
            let server = try KubeFakeServer(namespacedNamespaces: ["apps"])
            fake = server
            client = try KubernetesClient(connection: KubeConfig.load(paths: [server.kubeconfigPath]).connection(context: "namespaced"))
            allowed = "apps"
            try await KubernetesClient(connection: KubeConfig.load(paths: [server.kubeconfigPath]).connection()).ensureNamespace("apps", labels: [:])
        case .real:
            guard let path = ProcessInfo.processInfo.environment["SLUICE_TEST_NAMESPACED_KUBECONFIG"],
                  let namespace = ProcessInfo.processInfo.environment["SLUICE_TEST_NAMESPACED_NAMESPACE"] else { return }
            fake = nil
            client = try KubernetesClient(connection: KubeConfig.load(paths: [path]).connection())
            allowed = namespace
        }
        _ = fake
        _ = try await client.list(apiVersion: "v1", kind: "ConfigMap", namespace: allowed, labelSelector: "")
        let all = await expectError(KubernetesError.self) {
            _ = try await client.list(apiVersion: "v1", kind: "ConfigMap", namespace: nil, labelSelector: "")
        }
        #expect(all?.status == 403)
        #expect(all?.scope == .allNamespaces)
        #expect(all?.hint?.contains("spec.kubernetes.scope: namespaced") == true)
    }
}
