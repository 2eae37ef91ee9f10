import Foundation
import SluiceCore
import SluiceFlink
import SluiceKubernetes
import SluiceSpec
@testable import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// The last savepoint of a job whose status has none, from the operator's FlinkStateSnapshot
/// resources, against the fake API server. Fields and meaning from flink-kubernetes-operator
/// 6e9caeb4: the CRD flinkstatesnapshots.flink.apache.org-v1.yml (v1beta1, Namespaced, status
/// subresource); api/spec/FlinkStateSnapshotSpec.java (`isSavepoint()` is `savepoint != null`,
/// `checkpoint` for checkpoints); api/spec/JobReference.java (`kind` FlinkDeployment or
/// FlinkSessionJob, `name`, in the snapshot's namespace: FlinkStateSnapshotUtils
/// `getSnapshotJobReferenceResourceId`); api/status/FlinkStateSnapshotStatus.java (`state`
/// COMPLETED/FAILED/..., `path`, `resultTimestamp`); FlinkStateSnapshotUtils.snapshotSuccessful
/// (sets COMPLETED, `path` and `resultTimestamp` = DateTimeUtils.kubernetes(now), ISO_INSTANT).
@Suite("Kubernetes last savepoints from FlinkStateSnapshot resources")
struct KubernetesSnapshotSavepointTests {
    static let snapshotCRD = "flinkstatesnapshots.flink.apache.org"

    static func snapshot(_ name: String, job: String, kind: String = "FlinkDeployment", checkpoint: Bool = false) -> Value {
        let reference: Value = ["kind": .string(kind), "name": .string(job)]
        let spec: Value = checkpoint ? ["jobReference": reference, "backoffLimit": 1, "checkpoint": [:]]
            : ["jobReference": reference, "backoffLimit": 1, "savepoint": ["disposeOnDelete": true, "formatType": "CANONICAL"]]
        return ["apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkStateSnapshot",
                "metadata": ["name": .string(name), "namespace": "apps"], "spec": spec]
    }

    static func setSnapshotStatus(_ fake: KubeFakeServer, _ name: String, _ statusJSON: String) throws {
        try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkStateSnapshot", namespace: "apps", name: name, statusJSON: statusJSON)
    }

    @Test("no lastSavepoint in the status: the newest COMPLETED savepoint snapshot of this job, source snapshot")
    func newestCompletedSavepoint() async throws {
        let fake = try KubeFakeServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-snapshots")
        let driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("orders"))
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("plain"))
        for (name, job, checkpoint) in [("orders-sp-old", "orders", false), ("orders-sp-new", "orders", false), ("orders-cp", "orders", true),
                                        ("orders-sp-failed", "orders", false), ("payments-sp", "payments", false)] {
            _ = try await driver.client.apply(Self.snapshot(name, job: job, checkpoint: checkpoint))
        }
        _ = try await driver.client.apply(Self.snapshot("orders-session-sp", job: "orders", kind: "FlinkSessionJob"))
        try await onDedicatedThread("fake-operator") {
            // Snapshot resources on (operator >= 1.10): jobStatus has no savepointInfo.lastSavepoint.
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "orders", statusJSON: """
                {"jobStatus":{"jobId":"0123456789abcdef0123456789abcdef","state":"RUNNING","savepointInfo":{}}}
                """)
            try Self.setSnapshotStatus(fake, "orders-sp-old", """
                {"state":"COMPLETED","path":"s3://sp/orders/savepoint-old","triggerId":"a","triggerTimestamp":"2026-11-30T10:00:00Z","resultTimestamp":"2026-11-30T10:00:05Z"}
                """)
            try Self.setSnapshotStatus(fake, "orders-sp-new", """
                {"state":"COMPLETED","path":"s3://sp/orders/savepoint-new","triggerId":"b","triggerTimestamp":"2026-11-30T11:00:00Z","resultTimestamp":"2026-11-30T11:00:07.250Z"}
                """)
            // Newer, but a checkpoint, a failed savepoint, another job's and another kind's savepoint.
            try Self.setSnapshotStatus(fake, "orders-cp", """
                {"state":"COMPLETED","path":"s3://cp/orders/chk-9","resultTimestamp":"2026-11-30T12:00:00Z"}
                """)
            try Self.setSnapshotStatus(fake, "orders-sp-failed", """
                {"state":"FAILED","error":"boom","failures":2,"resultTimestamp":"2026-11-30T12:30:00Z"}
                """)
            try Self.setSnapshotStatus(fake, "payments-sp", """
                {"state":"COMPLETED","path":"s3://sp/payments/savepoint-x","resultTimestamp":"2026-11-30T13:00:00Z"}
                """)
            try Self.setSnapshotStatus(fake, "orders-session-sp", """
                {"state":"COMPLETED","path":"s3://sp/session/savepoint-y","resultTimestamp":"2026-11-30T13:30:00Z"}
                """)
        }
        let before = try fake.requests().count
        let observed = await driver.observeJobs([KubernetesJobObservationTests.identity("FlinkDeployment", "orders"),
                                                 KubernetesJobObservationTests.identity("FlinkDeployment", "plain"),
                                                 KubernetesJobObservationTests.identity("FlinkDeployment", "gone")])
        let orders = try #require(observed[KubernetesJobObservationTests.identity("FlinkDeployment", "orders")])
        #expect(orders.state == "RUNNING")
        #expect(orders.lastSavepoint == .init(path: "s3://sp/orders/savepoint-new",
                                              completedAt: Date(timeIntervalSince1970: 1_796_036_407.25), source: "snapshot"))
        let plain = try #require(observed[KubernetesJobObservationTests.identity("FlinkDeployment", "plain")])
        #expect(plain.lastSavepoint == nil, "no snapshot names it")
        let gone = try #require(observed[KubernetesJobObservationTests.identity("FlinkDeployment", "gone")])
        #expect(gone.lastSavepoint == nil, "an object not on the cluster runs no job")
        let snapshotLists = try fake.requests().dropFirst(before).filter { $0.contains("/flinkstatesnapshots") }
        #expect(snapshotLists.count == 1, "one LIST for the namespace, not one per job: \(snapshotLists)")
        #expect(snapshotLists.allSatisfy { $0.hasPrefix("GET /apis/flink.apache.org/v1beta1/namespaces/apps/flinkstatesnapshots?") && $0.contains("limit=") })
    }

    @Test("the operator's own lastSavepoint wins over snapshots; no snapshots give null")
    func operatorFirstAndNone() async throws {
        let fake = try KubeFakeServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-snapshots")
        let driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("orders"))
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("fresh"))
        try await onDedicatedThread("fake-operator") {
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "fresh", statusJSON: """
                {"jobStatus":{"state":"RUNNING"}}
                """)
        }
        let none = await driver.observeJobs([KubernetesJobObservationTests.identity("FlinkDeployment", "fresh")])
        #expect(try #require(none[KubernetesJobObservationTests.identity("FlinkDeployment", "fresh")]).lastSavepoint == nil)

        _ = try await driver.client.apply(Self.snapshot("orders-sp", job: "orders"))
        try await onDedicatedThread("fake-operator") {
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "orders", statusJSON: """
                {"jobStatus":{"state":"RUNNING","savepointInfo":{"lastSavepoint":{"timeStamp":1796032800000,"location":"s3://sp/op","triggerType":"MANUAL"}}}}
                """)
            try Self.setSnapshotStatus(fake, "orders-sp", """
                {"state":"COMPLETED","path":"s3://sp/snap","resultTimestamp":"2026-11-30T13:00:00Z"}
                """)
        }
        let observed = await driver.observeJobs([KubernetesJobObservationTests.identity("FlinkDeployment", "orders")])
        #expect(try #require(observed[KubernetesJobObservationTests.identity("FlinkDeployment", "orders")]).lastSavepoint?.source == "operator")
    }

    /// `hiddenBeforeDiscovery`: the cluster never had the kind (discovery lacks it); else the CRD
    /// went after the driver's discovery cached it (the list answers 404).
    @Test("no FlinkStateSnapshot kind (an operator before 1.10): null without error, and not asked again", arguments: [true, false])
    func kindAbsent(hiddenBeforeDiscovery: Bool) async throws {
        let fake = try KubeFakeServer()
        if hiddenBeforeDiscovery { try await onDedicatedThread("fake-operator") { try fake.setCRDInstalled(Self.snapshotCRD, false) } }
        let state = try TemporaryDirectory(prefix: "sluice-kube-snapshots")
        let driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("orders"))
        try await onDedicatedThread("fake-operator") {
            try fake.setCRDInstalled(Self.snapshotCRD, false)
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "orders", statusJSON: """
                {"jobStatus":{"jobId":"0123456789abcdef0123456789abcdef","state":"RUNNING"}}
                """)
        }
        let identity = KubernetesJobObservationTests.identity("FlinkDeployment", "orders")
        let first = await driver.observeJobs([identity])
        let orders = try #require(first[identity], "the reading does not fail")
        #expect(orders.state == "RUNNING" && orders.lastSavepoint == nil)
        let before = try fake.requests().count
        let second = await driver.observeJobs([identity])
        #expect(try #require(second[identity]).state == "RUNNING")
        let again = try fake.requests().dropFirst(before)
        #expect(!again.contains { $0.contains("flinkstatesnapshots") || $0.hasPrefix("GET /apis/flink.apache.org/v1beta1 ") || $0 == "GET /apis/flink.apache.org/v1beta1" },
                "\(Array(again))")
    }

    /// A service account without `list` on flinkstatesnapshots (the operator's chart grants it to
    /// the operator, not to others). RBAC is per namespace and can be granted at any time, so the
    /// driver does not remember the refusal: each reading asks once per namespace (the status
    /// board reads at most once per its max age, 30 s), and a granted permission shows at the next
    /// reading without a restart. A kind that is absent (404) is remembered instead (kindAbsent).
    @Test("FlinkStateSnapshots forbidden: state and jobId read, lastSavepoint null, no error; one LIST per namespace per reading; a granted list shows the savepoint at the next reading")
    func snapshotsForbidden() async throws {
        let fake = try KubeFakeServer()
        let state = try TemporaryDirectory(prefix: "sluice-kube-snapshots")
        let driver = try KubernetesJobObservationTests.driver(fake, state: state.url)
        try await driver.client.ensureNamespace("apps", labels: [:])
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("orders"))
        _ = try await driver.client.apply(KubernetesJobObservationTests.flinkDeployment("payments"))
        _ = try await driver.client.apply(Self.snapshot("orders-sp", job: "orders"))
        try await onDedicatedThread("fake-operator") {
            try fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "orders", statusJSON: """
                {"jobStatus":{"jobId":"0123456789abcdef0123456789abcdef","state":"RUNNING","savepointInfo":{}}}
                """)
            try Self.setSnapshotStatus(fake, "orders-sp", """
                {"state":"COMPLETED","path":"s3://sp/orders/savepoint-1","resultTimestamp":"2026-11-30T11:00:00Z"}
                """)
            try fake.setForbidden(Self.snapshotCRD, verbs: ["list"], namespaces: ["apps"])
        }

        // The fake refuses as the API server's authorizer does (k8s.io/apiserver
        // responsewriters.Forbidden): 403, reason Forbidden, RBAC's message.
        do {
            _ = try await driver.client.list(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkStateSnapshot", namespace: "apps", labelSelector: "")
            Issue.record("the list was not refused")
        } catch let error as KubernetesError {
            #expect(error.status == 403 && error.reason == "Forbidden")
            #expect(error.serverMessage == #"flinkstatesnapshots.flink.apache.org is forbidden: User "admin" cannot list resource "flinkstatesnapshots" in API group "flink.apache.org" in the namespace "apps""#,
                    "\(error.serverMessage ?? "")")
        }

        let orders = KubernetesJobObservationTests.identity("FlinkDeployment", "orders")
        let payments = KubernetesJobObservationTests.identity("FlinkDeployment", "payments")
        func reading() async throws -> (observed: [ObjectIdentity: JobObservation], snapshotLists: [String]) {
            let before = try await onDedicatedThread("fake-requests") { try fake.requests().count }
            let observed = await driver.observeJobs([orders, payments])
            let requests = try await onDedicatedThread("fake-requests") { try fake.requests() }
            return (observed, requests.dropFirst(before).filter { $0.contains("/flinkstatesnapshots") })
        }
        for round in 1...2 {
            let (observed, lists) = try await reading()
            let job = try #require(observed[orders], "reading \(round) does not fail")
            #expect(job.state == "RUNNING" && job.jobID == "0123456789abcdef0123456789abcdef", "reading \(round)")
            #expect(job.lastSavepoint == nil, "reading \(round): the snapshots could not be read, so no savepoint is claimed")
            #expect(observed[payments] != nil)
            #expect(lists.count == 1, "reading \(round): one LIST for the namespace, for both jobs, not one per job: \(lists)")
        }

        try await onDedicatedThread("fake-operator") { try fake.setForbidden(Self.snapshotCRD, verbs: []) }
        let (granted, lists) = try await reading()
        #expect(lists.count == 1)
        #expect(try #require(granted[orders]).lastSavepoint == .init(path: "s3://sp/orders/savepoint-1",
                                                                   completedAt: Date(timeIntervalSince1970: 1_796_036_400), source: "snapshot"),
                "the same driver reads the savepoint once the list is allowed")
    }

    @Test("only completed, taken savepoints with a path; resultTimestamp as Java's ISO_INSTANT writes it")
    func snapshotFields() throws {
        func read(_ yaml: String) throws -> JobObservation.Savepoint? {
            KubernetesDriver.completedSavepoint(try YAML.parseDocument(yaml), namespace: "apps")?.1
        }
        let base = "spec: {jobReference: {kind: FlinkSessionJob, name: j}, savepoint: {}}"
        #expect(try read("\(base)\nstatus: {state: COMPLETED, path: 's3://a', resultTimestamp: '2026-11-30T11:00:07.123456789Z'}")?.completedAt != nil)
        #expect(try read("\(base)\nstatus: {state: COMPLETED, path: 's3://a', resultTimestamp: 'yesterday'}") == .init(path: "s3://a", completedAt: nil, source: "snapshot"))
        #expect(try read("\(base)\nstatus: {state: IN_PROGRESS, path: 's3://a'}") == nil)
        #expect(try read("\(base)\nstatus: {state: COMPLETED, path: ''}") == nil)
        #expect(try read("\(base)\nstatus: {state: COMPLETED, path: 's3://\(String(repeating: "x", count: 5000))'}") == nil)
        #expect(try read("spec: {jobReference: {kind: FlinkSessionJob, name: j}, savepoint: {alreadyExists: true, path: 's3://a'}}\nstatus: {state: COMPLETED, path: 's3://a'}") == nil)
        #expect(try read("spec: {jobReference: {kind: FlinkSessionJob, name: j}, checkpoint: {}}\nstatus: {state: COMPLETED, path: 's3://a'}") == nil)
        #expect(try read("spec: {savepoint: {}}\nstatus: {state: COMPLETED, path: 's3://a'}") == nil)
    }
}
