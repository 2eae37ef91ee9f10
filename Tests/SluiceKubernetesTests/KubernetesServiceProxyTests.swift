import Foundation
import Logging
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceKubernetes
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// The JobManager facts of jobs on kubernetes clusters (lastCheckpoint, restarts), read through
/// the API server's service proxy, and their bounds: refusals of the proxy itself leave the fields
/// null and are remembered, an oversized answer is cut off. The API server's proxy behaviour the
/// fake reproduces is kubernetes pkg/registry/core/service/storage (ResourceLocation); the REST
/// service's name and port are Flink's ExternalServiceDecorator (`<cluster id>-rest`, port `rest`).
@Suite("Kubernetes job facts through the service proxy")
struct KubernetesServiceProxyTests {
    static let jobID = "0123456789abcdef0123456789abcdef"

    /// A fake with namespace `apps`, FlinkDeployment `orders` whose status says RUNNING with `jobID`,
    /// and (when `service`) the Service `orders-rest` with port `rest` 8081.
    static func setUp(_ fake: KubeFakeServer, driver: KubernetesDriver, service: Bool = true, state: String = "RUNNING") async throws {
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("orders"))
        if service {
            _ = try await driver.client.apply(try YAML.parseDocument("""
                apiVersion: v1
                kind: Service
                metadata: {name: orders-rest, namespace: apps}
                spec: {ports: [{name: rest, port: 8081}]}
                """))
        }
        try await onDedicatedThread("fake-operator") {
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "orders",
                               statusJSON: #"{"jobStatus":{"jobId":"\#(Self.jobID)","state":"\#(state)"}}"#)
        }
    }

    static func proxyRequests(_ fake: KubeFakeServer) async throws -> [String] {
        try await onDedicatedThread("fake-requests") { try fake.requests().filter { $0.contains("/proxy/") } }
    }

    @Test("a 503 (no endpoints), a 403 (no grant) and a 404 (no service) leave the fields null and are not asked again; the status is still read")
    func refusalsAreRemembered() async throws {
        for refusal in ["503", "403", "404"] {
            let fake = try KubeFakeServer()
            let state = try TemporaryDirectory(prefix: "sluice-kube-proxy")
            var driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
            driver.proxyMemory = ServiceProxyMemory()
            try await Self.setUp(fake, driver: driver, service: refusal != "404")
            if refusal == "403" {
                try await onDedicatedThread("fake-rbac") { try fake.setServiceProxyForbidden(users: ["admin"]) }
            }
            let orders = KubernetesJobObservationTests.identity("FlinkDeployment", "orders")
            let first = try #require(await driver.observeJobs([orders])[orders], "refusal \(refusal)")
            #expect(first.state == "RUNNING" && first.jobID == Self.jobID, "refusal \(refusal): the operator's status is still reported")
            #expect(first.lastCheckpoint == nil && first.restarts == nil, "refusal \(refusal)")
            let asked = try await Self.proxyRequests(fake)
            // One request, the checkpoint statistics; after the proxy's refusal the metric is not asked.
            #expect(asked == ["GET /api/v1/namespaces/apps/services/orders-rest:rest/proxy/jobs/\(Self.jobID)/checkpoints"], "refusal \(refusal): \(asked)")

            let second = try #require(await driver.observeJobs([orders])[orders])
            #expect(second.state == "RUNNING" && second.restarts == nil)
            #expect(try await Self.proxyRequests(fake).count == 1, "refusal \(refusal): the refusing proxy is not asked again")
            // A driver built afresh for the next reading shares the memory (it is kept per cluster).
            var next = try KubernetesJobObservationTests.driver(fake, state: state.url)
            next.proxyMemory = driver.proxyMemory
            _ = await next.observeJobs([orders])
            #expect(try await Self.proxyRequests(fake).count == 1, "refusal \(refusal)")
        }
    }

    @Test("deploy/rbac.yaml grants the proxy's only verb: get on services/proxy")
    func rbacGrantsTheProxy() throws {
        #expect(try DeployRBACTests.rules().contains { $0.groups.contains("") && $0.resources.contains("services/proxy") && $0.verbs.contains("get") })
    }

    @Test("jobs whose status names no job id, an invalid one, or a state without a serving JobManager are not asked")
    func onlyKnownJobsAreAsked() async throws {
        for state in ["RECONCILING", "FINISHED", "FAILED", "SUSPENDED"] {
            let fake = try KubeFakeServer()
            let directory = try TemporaryDirectory(prefix: "sluice-kube-proxy")
            var driver = try KubernetesJobObservationTests.driver(fake, state: directory.url)
            driver.proxyMemory = ServiceProxyMemory()
            try await Self.setUp(fake, driver: driver, state: state)
            let orders = KubernetesJobObservationTests.identity("FlinkDeployment", "orders")
            #expect(await driver.observeJobs([orders])[orders]?.state == state)
            #expect(try await Self.proxyRequests(fake).isEmpty, "state \(state)")
        }
        let running: Value = ["status": ["jobStatus": ["jobId": .string(Self.jobID), "state": "RUNNING"]], "spec": ["deploymentName": "session"]]
        let job = KubernetesJobObservationTests.identity("FlinkSessionJob", "enricher")
        #expect(KubernetesDriver.jobManagerTarget(running, identity: job)?.service == "session-rest")
        #expect(KubernetesDriver.jobManagerTarget(running, identity: KubernetesJobObservationTests.identity("FlinkDeployment", "orders"))?.service == "orders-rest")
        for bad in ["../../secrets/x", "0123456789ABCDEF0123456789ABCDEF", "0123", ""] {
            let value: Value = ["status": ["jobStatus": ["jobId": .string(bad), "state": "RUNNING"]]]
            #expect(KubernetesDriver.jobManagerTarget(value, identity: job) == nil, "job id \(bad)")
        }
    }

    @Test("a JobManager answer larger than 1 MiB is cut off with a debug line; the fields stay null and nothing crashes")
    func hugeAnswerIsCutOff() async throws {
        let fake = try KubeFakeServer()
        let backend = try HTTPTestServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-proxy")
        var driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        driver.proxyMemory = ServiceProxyMemory()
        let lines = LogLines()
        driver.logger = Logger(label: "test") { _ in RecordingLogHandler(lines: lines) }
        try await Self.setUp(fake, driver: driver)
        // Every path below this backend URL answers 8 MB (the test server's /bytes/<n>).
        try await onDedicatedThread("fake-backend") {
            try fake.setServiceProxyBackend(namespace: "apps", service: "orders-rest", port: "rest", url: backend.url("/bytes/8000000"))
        }
        let orders = KubernetesJobObservationTests.identity("FlinkDeployment", "orders")
        let observed = try #require(await driver.observeJobs([orders])[orders])
        #expect(observed.state == "RUNNING" && observed.lastCheckpoint == nil && observed.restarts == nil)
        let debug = lines.all.filter { $0.level == .debug }.map(\.text)
        #expect(debug.contains { $0.contains("cut off at 1048576 bytes") && $0.contains("orders") }, "\(lines.all)")
        // Not a refusal of the proxy: the next reading asks again.
        let before = try await Self.proxyRequests(fake).count
        _ = await driver.observeJobs([orders])
        #expect(try await Self.proxyRequests(fake).count > before)
    }

    @Test("the proxy forwards path and query to the backend and returns its answer; a port number maps to its name; dot segments and writes are refused before sending")
    func forwarding() async throws {
        let fake = try KubeFakeServer()
        let backend = try HTTPTestServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-proxy")
        let driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        try await Self.setUp(fake, driver: driver)
        try await onDedicatedThread("fake-backend") {
            try fake.setServiceProxyBackend(namespace: "apps", service: "orders-rest", port: "rest", url: backend.url("/echo"))
        }
        for port in ["rest", "8081"] {
            let proxy = try #require(driver.client.serviceProxy(namespace: "apps", service: "orders-rest", port: port))
            let url = try #require(URL(string: proxy.baseURL.absoluteString + "jobs/\(Self.jobID)/metrics?get=numRestarts"))
            let response = try await proxy.send(HTTPRequest(.GET, url))
            #expect(response.status == 200)
            let echo = try JSON.decode([UInt8](response.body))
            #expect(echo["path"]?.stringValue == "/echo/jobs/\(Self.jobID)/metrics", "port \(port)")
            #expect(echo["query"]?.stringValue == "get=numRestarts")
            #expect(echo[path: "headers", "authorization"] == nil, "the API server's credentials do not reach the backend")
        }
        // A port number the Service does not have: the API server's 503, thrown as its error.
        let wrongPort = try #require(driver.client.serviceProxy(namespace: "apps", service: "orders-rest", port: "9999"))
        await #expect(throws: KubernetesError.self) { try await wrongPort.send(HTTPRequest(.GET, wrongPort.baseURL)) }
        // A backend's own error answer is returned, not thrown.
        try await onDedicatedThread("fake-backend") {
            try fake.setServiceProxyBackend(namespace: "apps", service: "orders-rest", port: "rest", url: backend.url("/status/404"))
        }
        let proxy = try #require(driver.client.serviceProxy(namespace: "apps", service: "orders-rest", port: "rest"))
        #expect(try await proxy.send(HTTPRequest(.GET, proxy.baseURL)).status == 404)

        let before = try await Self.proxyRequests(fake).count
        let climbing = try #require(URL(string: proxy.baseURL.absoluteString + "../../../secrets/x"))
        await #expect(throws: KubernetesError.self) { try await proxy.send(HTTPRequest(.GET, climbing)) }
        await #expect(throws: KubernetesError.self) { try await proxy.send(HTTPRequest(.POST, proxy.baseURL)) }
        #expect(try await Self.proxyRequests(fake).count == before, "nothing was sent")
        #expect(driver.client.serviceProxy(namespace: "apps", service: "Orders_rest", port: "rest") == nil)
    }
}

/// Log lines a driver wrote, for assertions.
final class LogLines: @unchecked Sendable {
    struct Line: Sendable { var level: Logger.Level; var text: String }
    private let lock = NSLock()
    private var lines: [Line] = []
    func append(_ line: Line) { lock.withLock { lines.append(line) } }
    var all: [Line] { lock.withLock { lines } }
}

struct RecordingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.append(.init(level: level, text: message.description))
    }
}
