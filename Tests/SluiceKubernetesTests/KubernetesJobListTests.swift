import Foundation
import SluiceCore
import SluiceFlink
import SluiceKubernetes
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// A job reading of many FlinkDeployments lists them instead of reading each: the API requests
/// are counted on the fake.
@Suite("Kubernetes job readings list their objects")
struct KubernetesJobListTests {
    @Test("50 jobs in 2 namespaces: one list, no GET per job; every job observed, statuses as written, an absent one runs no job")
    func fiftyJobsOneList() async throws {
        let fake = try KubeFakeServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-joblist")
        var driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        driver.proxyMemory = ServiceProxyMemory()
        var identities: [ObjectIdentity] = []
        for namespace in ["apps", "batch"] {
            try await driver.client.ensureNamespace(namespace, labels: [:])
            for index in 0..<25 {
                _ = try await driver.client.apply(try YAML.parseDocument("""
                    {apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment, metadata: {name: job-\(index), namespace: \(namespace)},
                     spec: {image: 'flink:2.0', flinkVersion: v2_0, job: {jarURI: 'local:///opt/flink/usrlib/job.jar', parallelism: 1}}}
                    """))
                identities.append(ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: namespace, name: "job-\(index)"))
            }
        }
        try await onDedicatedThread("fake-operator") {
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "batch", name: "job-7",
                               statusJSON: #"{"jobStatus":{"jobId":"00000000000000000000000000000007","state":"FAILED"}}"#)
        }
        let gone = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "batch", name: "gone")
        let before = try await onDedicatedThread("fake-requests") { try fake.requests().count }
        let observed = await driver.observeJobs(identities + [gone])
        let requests = try await onDedicatedThread("fake-requests") { Array(try fake.requests().dropFirst(before)) }

        print("job reading of 51 FlinkDeployments in 2 namespaces: \(requests.count) API requests: \(requests)")
        #expect(observed.count == 51)
        #expect(observed[ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "batch", name: "job-7")]?.state == "FAILED")
        #expect(observed[identities[0]] != nil && observed[identities[0]]?.state == nil)
        #expect(observed[gone]?.jobID == nil && observed[gone] != nil)
        let reads = requests.filter { $0.contains("/flinkdeployments") }
        #expect(!reads.contains { $0.hasPrefix("GET ") && $0.contains("/flinkdeployments/") }, "no GET per job: \(reads)")
        #expect(reads.count == 1, "one list across both namespaces: \(reads)")
        #expect(requests.count <= 6, "discovery, the list, the snapshot lists: \(requests)")
    }

    @Test("a namespaced Cluster lists each namespace of the reading once, with no GET per job")
    func namespacedListsPerNamespace() async throws {
        let fake = try KubeFakeServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-joblist")
        HostPathPolicy.shared.allow(URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path)
        var connection = ClusterSpec.KubernetesConnection(kubeconfig: fake.kubeconfigPath, kubeconfigEnv: nil, context: "admin", inCluster: false)
        connection.scope = .namespaced
        let cluster = ClusterSpec(name: "k8s-namespaced", labels: [:], tier: .public, driver: .kubernetes, kubernetes: connection,
                                  flink: nil, runtime: nil, location: SourceLocation(file: "clusters/k8s.yaml", line: 1, column: 1))
        var driver = try #require(try DriverFactory(stateDirectory: state.url).driver(for: cluster, journal: try Journal(directory: state.url)) as? KubernetesDriver)
        driver.proxyMemory = ServiceProxyMemory()
        var identities: [ObjectIdentity] = []
        for (namespace, count) in [("apps", 3), ("batch", 3), ("solo", 1)] {
            try await driver.client.ensureNamespace(namespace, labels: [:])
            for index in 0..<count {
                _ = try await driver.client.apply(try YAML.parseDocument("""
                    {apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment, metadata: {name: job-\(index), namespace: \(namespace)},
                     spec: {image: 'flink:2.0', flinkVersion: v2_0, job: {jarURI: 'local:///opt/flink/usrlib/job.jar', parallelism: 1}}}
                    """))
                identities.append(ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: namespace, name: "job-\(index)"))
            }
        }
        let before = try await onDedicatedThread("fake-requests") { try fake.requests().count }
        let observed = await driver.observeJobs(identities)
        let requests = try await onDedicatedThread("fake-requests") { Array(try fake.requests().dropFirst(before)) }
        #expect(observed.count == 7)
        let reads = requests.filter { $0.contains("/flinkdeployments") }.sorted()
        #expect(reads == ["GET /apis/flink.apache.org/v1beta1/namespaces/apps/flinkdeployments?limit=500",
                          "GET /apis/flink.apache.org/v1beta1/namespaces/batch/flinkdeployments?limit=500",
                          "GET /apis/flink.apache.org/v1beta1/namespaces/solo/flinkdeployments?limit=500"], "\(reads)")
    }
}
