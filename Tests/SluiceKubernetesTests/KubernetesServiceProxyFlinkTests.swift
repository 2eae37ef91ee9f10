import Foundation
import SluiceCore
import SluiceFlink
import SluiceKubernetes
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

extension RealFlink {
/// The kubernetes driver's job readings against a real Flink session cluster standing behind the
/// fake API server's service proxy (as the JobManager's `<cluster id>-rest` Service would): the
/// lastCheckpoint and restarts Flink itself reports arrive through the proxy, for a
/// FlinkDeployment (its own `<name>-rest`) and a FlinkSessionJob (its session's, `spec.deploymentName`).
@Suite("Kubernetes job facts through the service proxy, from a real JobManager")
struct KubernetesServiceProxyFlinkTests {
    @Test("lastCheckpoint (id, time) and restarts = 0 of a running job arrive through the proxy", .timeLimit(.minutes(5)))
    func factsFromARealJobManager() async throws {
        let flink = try await FlinkSessionCluster(taskSlots: 2)
        defer { flink.stop() }
        let work = try TemporaryDirectory(prefix: "sluice-kube-proxy-flink")
        let output = work.url.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let rest = flink.rest
        let job = FlinkREST.newID()
        let submitted = Date()
        let jar = try FlinkSessionCluster.testJobJar()
        try await onDedicatedThread("flink-submit") {
            let jarID = try rest.uploadJar(jar)
            try rest.runJar(jarID, jobID: job, parallelism: 1, arguments: ["--keys", "2", "--rate", "50", "--output", output.path, "--tag", "k8s"])
        }
        _ = try await rest.waitForJob(job, in: ["RUNNING"])

        let fake = try KubeFakeServer()
        var driver = try KubernetesJobObservationTests.driver(fake, state: work.url.appendingPathComponent("state"))
        driver.proxyMemory = ServiceProxyMemory()
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("orders"))
        _ = try await driver.client.apply(try YAML.parseDocument("""
            {apiVersion: flink.apache.org/v1beta1, kind: FlinkSessionJob, metadata: {name: enricher, namespace: apps},
             spec: {deploymentName: session, job: {jarURI: 'https://artifacts.example/job.jar', parallelism: 1}}}
            """))
        for service in ["orders-rest", "session-rest"] {
            _ = try await driver.client.apply(try YAML.parseDocument("""
                {apiVersion: v1, kind: Service, metadata: {name: \(service), namespace: apps}, spec: {ports: [{name: rest, port: 8081}]}}
                """))
        }
        let restURL = flink.restURL
        try await onDedicatedThread("fake-operator") {
            for (kind, name) in [("FlinkDeployment", "orders"), ("FlinkSessionJob", "enricher")] {
                try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: kind, namespace: "apps", name: name,
                                   statusJSON: #"{"jobStatus":{"jobId":"\#(job)","state":"RUNNING"}}"#)
            }
            for service in ["orders-rest", "session-rest"] {
                try fake.setServiceProxyBackend(namespace: "apps", service: service, port: "rest", url: restURL)
            }
        }

        let orders = KubernetesJobObservationTests.identity("FlinkDeployment", "orders")
        let enricher = KubernetesJobObservationTests.identity("FlinkSessionJob", "enricher")
        var observed: [ObjectIdentity: JobObservation] = [:]
        let complete = await eventually(timeout: .seconds(90)) {
            observed = await driver.observeJobs([orders, enricher])
            return observed[orders]?.lastCheckpoint != nil && observed[enricher]?.lastCheckpoint != nil
        }
        #expect(complete, "no checkpoint through the proxy: \(observed)\n\(flink.logs())")
        // What Flink itself says now, read directly: the proxy's reading is no newer than it.
        let latest = try await onDedicatedThread("flink-read") { () throws -> Int? in
            let statistics = try rest.get("/jobs/\(job)/checkpoints").json
            return ((statistics?["latest"] as? [String: Any])?["completed"] as? [String: Any])?["id"] as? Int
        }
        for identity in [orders, enricher] {
            let facts = try #require(observed[identity])
            #expect(facts.state == "RUNNING" && facts.jobID == job)
            let checkpoint = try #require(facts.lastCheckpoint)
            #expect(checkpoint.id >= 1 && checkpoint.id <= Int64(latest ?? 0), "\(checkpoint) against Flink's latest \(latest ?? -1)")
            #expect(checkpoint.completedAt >= submitted.addingTimeInterval(-1) && checkpoint.completedAt <= Date().addingTimeInterval(1))
            #expect(facts.restarts == 0)
        }
        let asked = try await onDedicatedThread("fake-requests") { try fake.requests().filter { $0.contains("/proxy/") } }
        #expect(asked.contains("GET /api/v1/namespaces/apps/services/session-rest:rest/proxy/jobs/\(job)/checkpoints"), "\(asked)")
        #expect(asked.contains("GET /api/v1/namespaces/apps/services/orders-rest:rest/proxy/jobs/\(job)/metrics?get=numRestarts"), "\(asked)")
    }
}
}
