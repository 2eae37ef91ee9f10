import Foundation
import SluiceCore
import SluiceFlink
import SluiceKubernetes
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// The kubernetes driver's job observations (`JobInspecting`), read from the status the Flink
/// Kubernetes Operator writes (flink-kubernetes-operator 6e9caeb4, api/status/JobStatus.java,
/// SavepointInfo.java, Savepoint.java), against the fake API server.
@Suite("Kubernetes job observations from the operator's status")
struct KubernetesJobObservationTests {
    static func driver(_ fake: KubeFakeServer, state: URL) throws -> KubernetesDriver {
        HostPathPolicy.shared.allow(URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path)
        let cluster = ClusterSpec(name: "k8s", labels: [:], tier: .public, driver: .kubernetes,
                                  kubernetes: .init(kubeconfig: fake.kubeconfigPath, kubeconfigEnv: nil, context: "admin", inCluster: false),
                                  flink: nil, runtime: nil, location: SourceLocation(file: "clusters/k8s.yaml", line: 1, column: 1))
        return try #require(try DriverFactory(stateDirectory: state).driver(for: cluster, journal: try Journal(directory: state)) as? KubernetesDriver)
    }

    static func flinkDeployment(_ name: String) -> Value {
        ["apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": ["name": .string(name), "namespace": "apps"],
         "spec": ["image": "flink:2.0", "flinkVersion": "v2_0", "job": ["jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 1]]]
    }

    static func identity(_ kind: String, _ name: String, group: String = "flink.apache.org") -> ObjectIdentity {
        ObjectIdentity(group: group, kind: kind, namespace: "apps", name: name)
    }

    @Test("state, job id and last savepoint from the status; no status gives nulls; an absent object runs no job; other kinds are not read")
    func observations() async throws {
        let fake = try KubeFakeServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-observe")
        let driver = try Self.driver(fake, state: state.url)
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(Self.flinkDeployment("orders"))
        _ = try await driver.client.apply(Self.flinkDeployment("fresh"))
        try await onDedicatedThread("fake-operator") {
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "orders", statusJSON: """
                {"lifecycleState":"FAILED","jobStatus":{"jobId":"0123456789abcdef0123456789abcdef","state":"FAILED",
                 "savepointInfo":{"lastSavepoint":{"timeStamp":1796032800000,"location":"file:///flink/savepoints/savepoint-012345-abcdef","triggerType":"UPGRADE"}},
                 "checkpointInfo":{"lastCheckpoint":{"timeStamp":1796032860000,"triggerType":"PERIODIC"}}}}
                """)
        }
        let observed = await driver.observeJobs([Self.identity("FlinkDeployment", "orders"), Self.identity("FlinkDeployment", "fresh"),
                                                 Self.identity("FlinkDeployment", "gone"), Self.identity("ConfigMap", "settings", group: "")])
        let orders = try #require(observed[Self.identity("FlinkDeployment", "orders")])
        #expect(orders.state == "FAILED")
        #expect(orders.jobID == "0123456789abcdef0123456789abcdef")
        #expect(orders.lastSavepoint == .init(path: "file:///flink/savepoints/savepoint-012345-abcdef",
                                              completedAt: Date(timeIntervalSince1970: 1_796_032_800), source: "operator"))
        // No restart count in the operator's status; its lastCheckpoint has no id and is only the ones it triggered.
        #expect(orders.restarts == nil && orders.lastCheckpoint == nil)

        let fresh = try #require(observed[Self.identity("FlinkDeployment", "fresh")], "an object without status is known, with nothing to say")
        #expect(fresh.state == nil && fresh.jobID == nil && fresh.lastSavepoint == nil && fresh.restarts == nil && fresh.lastCheckpoint == nil)
        let gone = try #require(observed[Self.identity("FlinkDeployment", "gone")], "an object not on the cluster runs no job")
        #expect(gone.state == nil && gone.jobID == nil)
        #expect(observed[Self.identity("ConfigMap", "settings", group: "")] == nil)
    }

    @Test("a savepoint without location, an empty location or an oversized one is not reported; a zero time is unknown")
    func bounds() throws {
        func observe(_ savepoint: String) throws -> JobObservation {
            KubernetesDriver.jobObservation(try YAML.parseDocument("status: {jobStatus: {state: RUNNING, savepointInfo: {lastSavepoint: \(savepoint)}}}"))
        }
        #expect(try observe("{timeStamp: 1796032800000}").lastSavepoint == nil)
        #expect(try observe("{location: '', timeStamp: 1796032800000}").lastSavepoint == nil)
        #expect(try observe("{location: 's3://b/\(String(repeating: "x", count: 5000))', timeStamp: 1}").lastSavepoint == nil)
        #expect(try observe("{location: 's3://b/sp', timeStamp: 0}").lastSavepoint == .init(path: "s3://b/sp", completedAt: nil, source: "operator"))
        #expect(KubernetesDriver.jobObservation(.null).state == nil)
    }
}
