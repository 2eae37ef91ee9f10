import Foundation
import SluiceHTTP
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// Two replicas of `sluice serve` with `--leader-election`, as deploy/ runs them, against the
/// fake API server (which holds the Lease and is also the cluster they sync).
@Suite("sluice serve with two replicas")
struct HighAvailabilityTests {
    static let readToken = "ro-\(UUID().uuidString)"

    final class Replica {
        let name: String
        let port: UInt16
        let process: SpawnedProcess
        let work: TemporaryDirectory

        init(_ name: String, repository: URL, kubeconfig: String, work: TemporaryDirectory) throws {
            self.name = name
            self.work = work
            port = try freePort()
            process = try SpawnedProcess(SluiceBinary.url.path, [
                "serve", "--repo", repository.path, "--revision", "main", "--interval", "1",
                "--listen", "127.0.0.1:\(port)", "--state-dir", work.url.appendingPathComponent("state-\(name)").path,
                "--leader-election", "default/sluice",
            ], env: ["KUBECONFIG": kubeconfig, "POD_NAME": name, "SLUICE_API_READ_TOKEN": HighAvailabilityTests.readToken,
                     "SLUICE_ALLOWED_ROOTS": URL(fileURLWithPath: kubeconfig).deletingLastPathComponent().path],
               stderrPath: work.url.appendingPathComponent("\(name).log").path)
        }

        /// The `sluice_leader` sample of /metrics, or `nil` while it does not answer.
        func leaderGauge() async -> Double? {
            guard let url = URL(string: "http://127.0.0.1:\(port)/metrics"),
                  let response = try? await HTTPClient(configuration: .init(retry: .none)).send(HTTPRequest(.GET, url)) else { return nil }
            let line = String(decoding: response.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("sluice_leader ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) }
        }

        /// The status API's document, or `nil` while it does not answer.
        func status() async -> Value? {
            let client = HTTPClient(configuration: .init(bearerToken: HighAvailabilityTests.readToken, retry: .none))
            guard let url = URL(string: "http://127.0.0.1:\(port)/api/v1/status"),
                  let response = try? await client.send(HTTPRequest(.GET, url)), response.status == 200 else { return nil }
            return try? JSON.decode(Array(response.body))
        }

        var log: String { (try? String(contentsOf: work.url.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? "" }
    }

    @Test("one replica syncs, the other plans and serves reads; when the leader dies the follower takes over")
    func takeover() async throws {
        let fake = try KubeFakeServer()
        let client = try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"))
        let work = try TemporaryDirectory(prefix: "sluice-ha")
        let repository = work.url.appendingPathComponent("specs")
        _ = try work.write("specs/clusters/cloud.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: cloud, labels: {purpose: test}}
            spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
            """)
        _ = try work.write("specs/environments/prod.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: prod}
            spec: {namespace: apps, clusters: {matchLabels: {purpose: test}}, jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}}
            """)
        func commit(mode: String) throws {
            _ = try work.write("specs/jobs/settings.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, labels: {app.kubernetes.io/part-of: shop}}
                data: {mode: \(mode)}
                """)
            try git(["add", "-A"], in: repository)
            try git(["commit", "-qm", "mode \(mode)"], in: repository)
        }
        try git(["init", "-q"], in: repository)
        try commit(mode: "one")
        let settings = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "settings")
        func mode() async -> String? { try? await client.get(settings)?[path: "data", "mode"]?.stringValue }
        func holder() async -> String? {
            try? await client.get(ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "default", name: "sluice"))?[path: "spec", "holderIdentity"]?.stringValue
        }

        let a = try Replica("replica-a", repository: repository, kubeconfig: fake.kubeconfigPath, work: work)
        defer { a.process.stop(graceSeconds: 5) }
        #expect(await eventually(timeout: .seconds(60)) { await mode() == "one" }, "replica-a.log:\n\(a.log)")
        #expect(await holder() == "replica-a")

        let b = try Replica("replica-b", repository: repository, kubeconfig: fake.kubeconfigPath, work: work)
        defer { b.process.stop(graceSeconds: 5) }
        // The follower plans (its status API answers with the plan) but leaves syncing to the leader.
        #expect(await eventually(timeout: .seconds(60)) {
            await b.status()?["message"]?.stringValue?.hasPrefix("follower") == true
        }, "replica-b.log:\n\(b.log)")
        #expect(await b.status()?["leader"]?.boolValue == false)
        #expect(await b.leaderGauge() == 0)
        #expect(await a.leaderGauge() == 1)
        try commit(mode: "two")
        #expect(await eventually(timeout: .seconds(30)) { await mode() == "two" })
        #expect(await holder() == "replica-a", "the leader kept the lease")

        // The leader dies without a word (SIGKILL: no release); after the lease expires (15 s) the follower leads.
        kill(a.process.pid, SIGKILL)
        try commit(mode: "three")
        #expect(await eventually(timeout: .seconds(60)) { await holder() == "replica-b" }, "replica-b.log:\n\(b.log)")
        #expect(await eventually(timeout: .seconds(30)) { await mode() == "three" }, "replica-b.log:\n\(b.log)")
        #expect(await eventually(timeout: .seconds(30)) {
            await b.status()?["message"]?.stringValue?.hasPrefix("follower") == false
        }, "replica-b reports itself as leading")
        #expect(await eventually(timeout: .seconds(30)) { await b.leaderGauge() == 1 })
    }
}
