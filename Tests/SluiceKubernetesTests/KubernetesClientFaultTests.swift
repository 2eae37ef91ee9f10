import Foundation
import SluiceHTTP
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// What only the fake API server can arrange: CRDs appearing later, RBAC refusals, rate limiting,
/// slow answers and exec credential plugins.
@Suite("Kubernetes client against injected faults")
struct KubernetesClientFaultTests {
    @Test("a CRD installed after the first discovery is found on the next lookup")
    func crdAppearsLater() async throws {
        try await withCluster(.fake, crdsInstalled: false) { cluster in
            let fake = try #require(cluster.fake)
            _ = try await cluster.client.resource(apiVersion: "apps/v1", kind: "Deployment")
            _ = try await cluster.client.resource(apiVersion: "apps/v1", kind: "StatefulSet")
            #expect(try fake.requests().filter { $0 == "GET /apis/apps/v1" }.count == 1, "discovery is cached")

            let missing = await expectError(KubernetesError.self) {
                _ = try await cluster.client.resource(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment")
            }
            #expect(missing?.message.contains("flink.apache.org/v1beta1") == true)
            #expect(missing?.hint?.contains("Flink Kubernetes Operator") == true)

            try fake.setCRDsInstalled(true)
            let resource = try await cluster.client.resource(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment")
            #expect(resource.name == "flinkdeployments" && resource.namespaced)
            let sessionJobs = try await cluster.client.resource(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkSessionJob")
            #expect(sessionJobs.name == "flinksessionjobs")
        }
    }

    @Test("a limited token gets 403 with the server's reason and an RBAC hint")
    func forbidden() async throws {
        let fake = try KubeFakeServer(forbiddenNamespace: "restricted")
        let admin = try KubernetesClient(connection: try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(),
                                         credentialCache: ExecCredentialCache())
        try await admin.ensureNamespace("restricted", labels: [:])
        let limited = try KubernetesClient(connection: try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "limited"),
                                           credentialCache: ExecCredentialCache())
        let manifest: Value = ["apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": ["name": "settings", "namespace": "restricted"], "data": ["a": "1"]]
        let error = await expectError(KubernetesError.self) { _ = try await limited.apply(manifest) }
        #expect(error?.status == 403)
        #expect(error?.reason == "Forbidden")
        #expect(error?.message.contains("cannot patch ConfigMap restricted/settings on https://127.0.0.1:\(fake.port)") == true)
        #expect(error?.message.contains(#"User "system:serviceaccount:sluice:limited" cannot patch resource "configmaps""#) == true)
        #expect(error?.hint == "grant the user system:serviceaccount:sluice:limited patch on configmaps in namespace restricted: "
                + "a Role in restricted with that rule and a RoleBinding in restricted to the user system:serviceaccount:sluice:limited")
        #expect(error.map { !"\($0)".contains(fake.limitedToken) } == true, "the token never appears in errors")
        // Reads are allowed, and writes elsewhere too.
        #expect(try await limited.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "restricted", name: "settings")) == nil)
        _ = try await limited.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ok", "namespace": "default"]])
    }

    @Test("an unknown token is a 401 error that names the server and no secret")
    func unauthorized() async throws {
        let fake = try KubeFakeServer()
        var connection = try KubeConfig.load(paths: [fake.kubeconfigPath]).connection()
        connection.authentication = .bearerToken("not-a-valid-token")
        let client = try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache())
        let error = await expectError(KubernetesError.self) {
            _ = try await client.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "x"))
        }
        #expect(error?.status == 401)
        #expect(error?.hint?.contains("credentials") == true)
        #expect(error.map { !"\($0)".contains("not-a-valid-token") } == true)
    }

    @Test("429 with Retry-After is retried after the asked delay")
    func rateLimited() async throws {
        try await withCluster(.fake) { cluster in
            let fake = try #require(cluster.fake)
            _ = try await cluster.client.apply(cluster.configMap("c", data: ["a": "1"]))
            try fake.throttleNext(1, retryAfterSeconds: 1)
            let clock = ContinuousClock()
            let start = clock.now
            let live = try await cluster.client.get(cluster.configMapRef("c"))
            #expect(live?[path: "data", "a"]?.stringValue == "1")
            #expect(clock.now - start >= .milliseconds(900), "waited for Retry-After")
            let path = "GET /api/v1/namespaces/\(cluster.namespace)/configmaps/c"
            #expect(try fake.requests().filter { $0 == path }.count == 2)

            try fake.throttleNext(10, retryAfterSeconds: 0)
            let tooMany = await expectError(KubernetesError.self) { _ = try await cluster.client.get(cluster.configMapRef("c")) }
            #expect(tooMany?.status == 429)
            #expect(tooMany?.hint?.contains("rate limiting") == true)
        }
    }

    @Test("slow answers: waited for within the timeout, a clear error beyond it")
    func slowResponses() async throws {
        try await withCluster(.fake) { cluster in
            let fake = try #require(cluster.fake)
            _ = try await cluster.client.apply(cluster.configMap("slow", data: ["a": "1"]))
            try fake.setLatency(milliseconds: 400)
            #expect(try await cluster.client.get(cluster.configMapRef("slow")) != nil)
            let impatient = try cluster.client(fieldManager: "sluice", retry: .none, timeout: .milliseconds(150))
            let error = await expectError(KubernetesError.self) { _ = try await impatient.get(cluster.configMapRef("slow")) }
            #expect(error?.status == nil)
            #expect(error?.message.contains("timed out") == true)
            try fake.setLatency(milliseconds: 0)
        }
    }

    @Test("exec credential plugins supply the token, cached, and are re-run after a 401")
    func execPlugin() async throws {
        let fake = try KubeFakeServer()
        let scratch = try TemporaryDirectory(prefix: "sluice-exec")
        // The first run prints a stale token, later runs the valid one: the client must refresh once.
        let script = try scratch.write("plugin.sh", """
            #!/bin/sh
            count_file="\(scratch.path)/runs"
            runs=$(cat "$count_file" 2>/dev/null || echo 0)
            runs=$((runs + 1))
            echo $runs > "$count_file"
            if [ $runs -eq 1 ]; then token=stale-token; else token=\(fake.adminToken); fi
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$token"
            """)
        // Run through /bin/sh rather than executing the fresh file: a child forked meanwhile by a
        // parallel test may still hold it open for writing, and exec would fail with ETXTBSY.
        let kubeconfig = try fake.writeExecKubeconfig(command: "/bin/sh", args: [script.path])
        let cache = ExecCredentialCache()
        let client = try KubernetesClient(connection: try KubeConfig.load(paths: [kubeconfig]).connection(), credentialCache: cache)
        let ref = ObjectReference(apiVersion: "v1", kind: "Namespace", name: "default")
        #expect(try await client.get(ref) != nil)
        #expect(try await client.get(ref) != nil)
        #expect(await cache.runs["/bin/sh"] == 2, "one stale credential, one refresh, then cached")
        let requests = try fake.requests()
        #expect(requests.count >= 3)
    }

    @Test("a live FlinkDeployment: generation bumps on spec changes, health follows the operator's status")
    func liveFlinkHealth() async throws {
        try await withCluster(.fake) { cluster in
            let fake = try #require(cluster.fake)
            func manifest(parallelism: Int) throws -> Value {
                try YAML.parseDocument("""
                    apiVersion: flink.apache.org/v1beta1
                    kind: FlinkDeployment
                    metadata: {name: orders, namespace: \(cluster.namespace), labels: {app.kubernetes.io/managed-by: sluice}}
                    spec:
                      flinkVersion: v1_20
                      job: {jarURI: local:///opt/job.jar, parallelism: \(parallelism), upgradeMode: savepoint}
                    """)
            }
            let created = try await cluster.client.apply(try manifest(parallelism: 2))
            #expect(created[path: "metadata", "generation"]?.intValue == 1)
            #expect(KubernetesHealth.assess(created).status == .progressing)

            let ref = try #require(ObjectReference(created))
            try fake.setStatus(apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, statusJSON: """
                {"lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY", "jobStatus": {"state": "RUNNING"},
                 "reconciliationStatus": {"state": "DEPLOYED"}, "observedGeneration": 1}
                """)
            let running = try #require(try await cluster.client.get(ref))
            #expect(KubernetesHealth.assess(running).status == .healthy)

            let changed = try await cluster.client.apply(try manifest(parallelism: 4))
            #expect(changed[path: "metadata", "generation"]?.intValue == 2)
            #expect(changed[path: "status", "jobStatus", "state"]?.stringValue == "RUNNING", "apply leaves the status alone")
            #expect(KubernetesHealth.assess(changed).status == .progressing, "generation 2 not yet observed")

            try fake.setStatus(apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, statusJSON: """
                {"lifecycleState": "FAILED", "jobManagerDeploymentStatus": "READY", "jobStatus": {"state": "FAILED"},
                 "reconciliationStatus": {"state": "DEPLOYED"}, "observedGeneration": 2, "error": "job failed: OutOfMemoryError"}
                """)
            let failed = try #require(try await cluster.client.get(ref))
            let health = KubernetesHealth.assess(failed)
            #expect(health.status == .degraded)
            #expect(health.reason.contains("OutOfMemoryError"))
        }
    }

    @Test("a thousand applies in parallel through one client")
    func thousandApplies() async throws {
        try await withCluster(.fake) { cluster in
            let count = 1000
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        _ = try await cluster.client.apply(cluster.configMap("t-\(index)", data: ["i": "\(index)"], labels: ["batch": "t"]))
                    }
                }
                try await group.waitForAll()
            }
            let items = try await cluster.client.list(apiVersion: "v1", kind: "ConfigMap", namespace: cluster.namespace,
                                                      labelSelector: "batch=t")
            #expect(items.count == count)
            let discoveries = try #require(cluster.fake).requests().filter { $0 == "GET /api/v1" }
            #expect(discoveries.count == 1, "discovery is cached across the applies")
        }
    }
}
