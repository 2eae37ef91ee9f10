import Foundation
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// What autoscaler ownership relies on from the API server: discovery shows a kind's `scale`
/// subresource, its CRD names the field (`subresources.scale.specReplicasPath`), a write through
/// `/scale` (as the HPA controller does it) changes that field and is recorded in managedFields as
/// an Update of the `scale` subresource, and an apply that leaves the field out keeps it. Run
/// against the fake and, with SLUICE_TEST_KUBECONFIG, a real API server.
@Suite("Kubernetes scale subresource contract")
struct KubernetesScaleContractTests {
    static func deployment(_ namespace: String, replicas: Int?) -> Value {
        var spec = Mapping()
        spec["selector"] = ["matchLabels": ["app": "scaled"]]
        spec["template"] = ["metadata": ["labels": ["app": "scaled"]],
                            "spec": ["containers": [["name": "main", "image": "registry.k8s.io/pause:3.9"]]]]
        if let replicas { spec["replicas"] = .int(replicas) }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "scaled", "namespace": .string(namespace)], "spec": .map(spec)]
    }

    static func scaleEntry(_ object: Value, manager: String) -> Value? {
        (object[path: "metadata", "managedFields"]?.listValue ?? []).first {
            $0["manager"]?.stringValue == manager && $0["subresource"]?.stringValue == "scale"
        }
    }

    @Test("a Deployment's scale field is spec.replicas; a /scale write moves it and names its manager; an apply without it keeps it",
          arguments: ContractTarget.available)
    func deploymentScale(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let ref = ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: cluster.namespace, name: "scaled")
            #expect(try await cluster.client.scaleReplicasPath(apiVersion: "apps/v1", kind: "Deployment") == ["spec", "replicas"])
            #expect(try await cluster.client.scaleReplicasPath(apiVersion: "v1", kind: "ConfigMap") == nil)

            _ = try await cluster.client.apply(Self.deployment(cluster.namespace, replicas: 2))
            let hpa = try cluster.client(fieldManager: "kube-controller-manager")
            let scale = try await hpa.setScale(ref, replicas: 3)
            #expect(scale["kind"]?.stringValue == "Scale")
            #expect(scale[path: "spec", "replicas"]?.intValue == 3)
            #expect(try await cluster.client.scale(ref)?[path: "spec", "replicas"]?.intValue == 3)

            let live = try #require(try await cluster.client.get(ref))
            #expect(live[path: "spec", "replicas"]?.intValue == 3)
            let entry = try #require(Self.scaleEntry(live, manager: "kube-controller-manager"), "\(live[path: "metadata", "managedFields"] ?? .null)")
            #expect(entry["operation"]?.stringValue == "Update")
            #expect(entry[path: "fieldsV1", "f:spec", "f:replicas"] != nil, "the entry names the object's own field")

            // The applier leaves replicas out: the field keeps the autoscaler's value.
            let applied = try await cluster.client.apply(Self.deployment(cluster.namespace, replicas: nil))
            #expect(applied[path: "spec", "replicas"]?.intValue == 3)
            #expect(try await cluster.client.scale(ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: cluster.namespace, name: "absent")) == nil)
        }
    }

    @Test("a FlinkDeployment's scale field comes from its CRD: spec.taskManager.replicas", arguments: ContractTarget.available)
    func flinkDeploymentScale(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let apiVersion = "flink.apache.org/v1beta1"
            let path: [String]?
            do {
                path = try await cluster.client.scaleReplicasPath(apiVersion: apiVersion, kind: "FlinkDeployment")
            } catch let error as KubernetesError where error.status == 404 && target == .real {
                return  // the operator's CRDs are not installed on this cluster
            }
            // The operator's CRD (flinkdeployments.flink.apache.org-v1.yml): subresources.scale.specReplicasPath.
            #expect(path == ["spec", "taskManager", "replicas"])
            #expect(try await cluster.client.scaleReplicasPath(apiVersion: apiVersion, kind: "FlinkSessionJob") == nil)

            let object: Value = [
                "apiVersion": .string(apiVersion), "kind": "FlinkDeployment",
                "metadata": ["name": "scaled", "namespace": .string(cluster.namespace)],
                "spec": ["image": "flink:2.0", "flinkVersion": "v2_0", "serviceAccount": "flink", "mode": "standalone",
                         "jobManager": ["resource": ["memory": "1024m", "cpu": 1]],
                         "taskManager": ["replicas": 2, "resource": ["memory": "1024m", "cpu": 1]]],
            ]
            _ = try await cluster.client.apply(object)
            let ref = ObjectReference(apiVersion: apiVersion, kind: "FlinkDeployment", namespace: cluster.namespace, name: "scaled")
            _ = try await cluster.client(fieldManager: "kube-controller-manager").setScale(ref, replicas: 4)
            let live = try #require(try await cluster.client.get(ref))
            #expect(live[path: "spec", "taskManager", "replicas"]?.intValue == 4)
            let entry = try #require(Self.scaleEntry(live, manager: "kube-controller-manager"))
            #expect(entry[path: "fieldsV1", "f:spec", "f:taskManager", "f:replicas"] != nil)
        }
    }
}
