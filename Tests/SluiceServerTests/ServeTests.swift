import Crypto
import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceKubernetes
import SluiceRuntime
import SluiceTestSupport
import SluiceYAML
import Testing

extension RealFlink {
/// `sluice serve` end to end: a Git repository behind `git daemon`, a real Flink session cluster,
/// a signed webhook after a push, the status API, /metrics and the dashboard in headless Chromium.
@Suite("sluice serve: commit to deploy")
struct ServeTests {
    static let secret = "webhook-\(UUID().uuidString)"
    static let operatorToken = "op-\(UUID().uuidString)"
    static let readToken = "ro-\(UUID().uuidString)"

    @Test("push + signed webhook deploys the change; bad signatures and missing tokens are refused; metrics parse; dashboard renders; SIGTERM lets the upgrade in progress finish")
    func commitToDeploy() async throws {
        let flink = try await FlinkSessionCluster(taskSlots: 4)
        defer { flink.stop() }
        let daemon = try GitDaemon()
        let bare = try daemon.createBareRepository("specs.git")
        let work = try TemporaryDirectory(prefix: "sluice-serve")
        let output = work.url.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let repo = try SpecRepository(root: work.url.appendingPathComponent("checkout"), jar: try FlinkSessionCluster.testJobJar(),
                                      output: output, savepoints: flink.savepointDir)
        try repo.cluster("local", url: flink.restURL)
        // The embedded runtime as a second target: the same job runs on a runtime cluster too.
        let runtimeDirectory = work.url.appendingPathComponent("runtime")
        try repo.runtimeCluster("edge", stateDirectory: runtimeDirectory)
        let edgeOutput = work.url.appendingPathComponent("edge-output")
        try FileManager.default.createDirectory(at: edgeOutput, withIntermediateDirectories: true)
        // A Kubernetes cluster (the protocol-faithful fake API server) as the third target, so one
        // round plans, applies and health-gates all three kinds of driver.
        let kube = try KubeFakeServer()
        try repo.kubernetesCluster("cloud", kubeconfig: kube.kubeconfigPath, context: "admin")
        let flinkOperator = try Self.playFlinkOperator(on: kube)
        defer { flinkOperator.cancel() }
        // The edge copy of the job writes its counts elsewhere, so each cluster's counters stay apart.
        try repo.write("environments/test.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: test}
            spec:
              namespace: streaming
              clusters: {matchLabels: {purpose: test}}
              jobs: {matchLabels: {app.kubernetes.io/part-of: sluice-tests}}
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  jsonPatch:
                    - {op: replace, path: /spec/job/args/5, value: "\(edgeOutput.path)"}
                - target: {kind: FlinkDeployment, tier: public}
                  merge:
                    spec:
                      image: registry.example.com/counter:1.0.0
                      job: {jarURI: "local:///opt/flink/usrlib/counter.jar"}
            """)
        defer {
            let semaphore = DispatchSemaphore(value: 0)
            Task {
                if let supervisor = try? FlinkSupervisor(configuration: RuntimeConfiguration(flinkHome: try FlinkInstallation.flinkHome(), stateDirectory: runtimeDirectory)) {
                    await supervisor.shutdown(leaveRunning: false)
                }
                semaphore.signal()
            }
            semaphore.wait()
        }
        var job = SpecRepository.Job()
        job.jobManagerMemory = "768m"
        job.taskManagerMemory = "1000m"
        try repo.job(job)
        let checkout = repo.root
        _ = try git(["init", "-q", "-b", "main"], in: checkout)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "v1", "--allow-empty"], in: checkout)
        _ = try git(["add", "-A"], in: checkout)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", "counter v1"], in: checkout)
        _ = try git(["push", "-q", bare.path, "main"], in: checkout)

        let port = try freePort()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        let binary = ProcessInfo.processInfo.environment["SLUICE_BINARY"]
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice").path
        let serve = try SpawnedProcess(binary, ["serve", "--repo", daemon.url("specs.git"), "--revision", "main", "--interval", "3600",
                                                "--listen", "127.0.0.1:\(port)", "--state-dir", work.url.appendingPathComponent("state").path,
                                                "--cache-dir", work.url.appendingPathComponent("cache").path, "--health-timeout", "120"],
                                       env: ["SLUICE_WEBHOOK_SECRET": Self.secret, "SLUICE_API_TOKEN": Self.operatorToken, "SLUICE_API_READ_TOKEN": Self.readToken,
                                             "SLUICE_ALLOWED_ROOTS": (repo.allowedRoots + [URL(fileURLWithPath: kube.kubeconfigPath).deletingLastPathComponent().path]).joined(separator: ":")],
                                       stderrPath: work.url.appendingPathComponent("serve.log").path)
        defer { serve.stop(graceSeconds: 10) }
        let anonymous = HTTPClient(configuration: .init(retry: .none))
        let reader = HTTPClient(configuration: .init(bearerToken: Self.readToken, retry: .none))

        // Ready once the first round has synced v1.
        #expect(await eventually(timeout: .seconds(150)) {
            (try? await anonymous.send(HTTPRequest(.GET, base.appendingPathComponent("readyz"))).status) == 200
        }, "serve.log:\n\(Self.log(work))")
        // Both copies count well above 1 first, so a restart from scratch could not pass for continuity.
        _ = try await Counts(output: output).await(tag: "v1", atLeast: 20)
        _ = try await Counts(output: edgeOutput).await(tag: "v1", atLeast: 20)

        // The API refuses requests without the right token; the read token cannot trigger syncs.
        #expect(try await anonymous.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))).status == 401)
        #expect(try await HTTPClient(configuration: .init(bearerToken: "nope", retry: .none)).send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))).status == 401)
        #expect(try await reader.send(HTTPRequest(.POST, base.appendingPathComponent("api/v1/sync"))).status == 403)

        // Commit and push v2, then deliver a signed webhook: the change is running without waiting for the interval.
        job.tag = "v2"
        try repo.job(job)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "counter v2"], in: checkout)
        _ = try git(["push", "-q", bare.path, "main"], in: checkout)
        let head = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)
        let payload = Array(#"{"ref":"refs/heads/main","after":"\#(head)"}"#.utf8)
        let signature = "sha256=" + HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: Array(Self.secret.utf8))).hexString

        var forged = HTTPRequest(.POST, base.appendingPathComponent("webhooks/github"), headers: ["X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64), "X-GitHub-Event": "push"], body: .data(Data(payload), contentType: "application/json"))
        #expect(try await anonymous.send(forged).status == 401)
        forged.headers = ["X-GitHub-Event": "push"]
        #expect(try await anonymous.send(forged).status == 401, "an unsigned delivery is refused")

        let delivery = HTTPRequest(.POST, base.appendingPathComponent("webhooks/github"), headers: ["X-Hub-Signature-256": signature, "X-GitHub-Event": "push"], body: .data(Data(payload), contentType: "application/json"))
        #expect(try await anonymous.send(delivery).status == 202)
        let deployed = await eventually(timeout: .seconds(150)) {
            guard let status = try? await reader.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))), status.status == 200,
                  let document = try? JSON.decode(Array(status.body)) else { return false }
            let statuses = document["clusters"]?.listValue?.compactMap { $0["status"]?.stringValue } ?? []
            return document["revision"]?.stringValue == head && statuses == ["synced", "synced", "synced"]
        }
        if !deployed {
            let body = (try? await reader.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))).body) ?? Data()
            Issue.record("the pushed commit was not reported synced; status: \(String(decoding: body, as: UTF8.self))\nserve.log:\n\(Self.log(work))")
        }
        let v1 = try #require(repo.countsOf(tag: "v1").max())
        let v2 = try await repo.counts(tag: "v2")
        #expect(v2.min()! > v1, "the webhook-driven upgrade resumed from the savepoint (a fresh start counts from 1, a replay repeats counts)")
        // The Kubernetes copy was applied (server-side, field manager sluice) with v2 and the public-tier patch.
        let applied = try await Self.kubeClient(kube).get(Self.counterOnKube)
        #expect(applied?[path: "spec", "job", "args"]?.listValue?.last?.stringValue == "v2", "\(String(describing: applied))")
        #expect(applied?[path: "spec", "job", "jarURI"]?.stringValue == "local:///opt/flink/usrlib/counter.jar")
        #expect(applied?[path: "metadata", "labels", "app.kubernetes.io/managed-by"]?.stringValue == "sluice")
        let edgeCounts = Counts(output: edgeOutput)
        let edgeV1 = try #require(edgeCounts.counts(tag: "v1").max())
        let edgeV2 = try await edgeCounts.await(tag: "v2")
        #expect(edgeV2.min()! > edgeV1, "the runtime's upgrade resumed from the savepoint too")

        // The status document says what runs where, with health and the last operation.
        let status = try JSON.decode(Array(try await reader.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))).body))
        #expect(status["lastRoundReason"]?.stringValue == "webhook", "the webhook, not the interval, started the round")
        #expect(status["clusters"]?.listValue?.compactMap { $0["name"]?.stringValue } == ["cloud", "edge", "local"])
        let object = try #require(status[path: "clusters"]?[2]?["objects"]?[0])
        #expect(object["health"]?.stringValue == "healthy")
        #expect(object["lastOperation"]?.stringValue?.hasPrefix("upgrade") == true)
        let history = try JSON.decode(Array(try await reader.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/history"))).body))
        #expect(history.listValue?.contains { $0["step"]?.stringValue == "stopWithSavepoint" } == true)

        // /metrics parses as Prometheus text and counts what happened.
        let metrics = String(decoding: try await anonymous.send(HTTPRequest(.GET, base.appendingPathComponent("metrics"))).body, as: UTF8.self)
        let samples = Self.parse(metrics)
        #expect((samples[#"sluice_sync_operations_total{cluster="local",result="synced"}"#] ?? 0) >= 2, "\(metrics)")
        #expect(samples[#"sluice_webhook_deliveries_total{source="github",result="accepted"}"#] == 1)
        #expect((samples[#"sluice_webhook_deliveries_total{source="github",result="rejected"}"#] ?? 0) == 2)
        #expect(samples[#"sluice_cluster_reachable{cluster="local"}"#] == 1)
        #expect(samples[#"sluice_cluster_reachable{cluster="edge"}"#] == 1)
        #expect(samples[#"sluice_cluster_reachable{cluster="cloud"}"#] == 1)
        #expect(samples.keys.contains { $0.hasPrefix("sluice_savepoint_duration_seconds_count") })

        // The dashboard, rendered by headless Chromium against this Sluice (DashboardTests checks it in detail).
        if HeadlessChromium.executable != nil {
            let shot = Self.artifacts.appendingPathComponent("dashboard.png")
            let dom = try await renderedDashboard(base: base.absoluteString, token: Self.readToken, width: 1280, screenshot: shot.path)
            #expect(dom != nil, "the page did not render the status")
            #expect(dom?.contains("FlinkDeployment.flink.apache.org streaming/counter") == true)
            #expect(dom?.contains("data-health=\"healthy\"") == true)
            #expect(FileManager.default.fileExists(atPath: shot.path), "screenshot kept as a test artifact")
        } else {
            Issue.record("chromium is not installed (scripts/install-deps.sh installs it); the dashboard was not rendered")
        }

        // SIGTERM in the middle of an upgrade: the round finishes its steps (v3 runs, resumed from
        // its savepoint) before serve exits; nothing is left stopped half-way.
        let savepointsBefore = try await Self.stopWithSavepointSteps(reader, base)
        job.tag = "v3"
        try repo.job(job)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "counter v3"], in: checkout)
        _ = try git(["push", "-q", bare.path, "main"], in: checkout)
        #expect(try await reader.send(HTTPRequest(.POST, base.appendingPathComponent("api/v1/sync"))).status == 403)
        let operator_ = HTTPClient(configuration: .init(bearerToken: Self.operatorToken, retry: .none))
        #expect(try await operator_.send(HTTPRequest(.POST, base.appendingPathComponent("api/v1/sync"))).status == 202)
        let upgrading = await eventually(timeout: .seconds(60)) {
            (try? await Self.stopWithSavepointSteps(reader, base)).map { $0 > savepointsBefore } ?? false
        }
        #expect(upgrading, "the v3 round did not start: \(Self.log(work))")
        kill(serve.pid, SIGTERM)
        let exitStatus = try await onDedicatedThread("wait-for-serve") { try serve.wait(timeout: 150) }
        #expect(exitStatus == 0, "serve.log:\n\(Self.log(work))")
        #expect(Self.log(work).contains("letting the round in progress finish"))
        let v2Last = try #require(repo.countsOf(tag: "v2").max())
        let v3 = try await repo.counts(tag: "v3")
        #expect(v3.min()! > v2Last, "the interrupted round still finished the savepoint upgrade")
    }

    /// How many stop-with-savepoint steps the journal (history API) holds.
    static func stopWithSavepointSteps(_ reader: HTTPClient, _ base: URL) async throws -> Int {
        let url = try #require(URL(string: base.absoluteString + "/api/v1/history?limit=5000"))
        let history = try JSON.decode(Array(try await reader.send(HTTPRequest(.GET, url)).body))
        return history.listValue?.filter { $0["step"]?.stringValue == "stopWithSavepoint" }.count ?? 0
    }

    static let counterOnKube = ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "streaming", name: "counter")

    static func kubeClient(_ kube: KubeFakeServer) throws -> KubernetesClient {
        try KubernetesClient(connection: try KubeConfig.load(paths: [kube.kubeconfigPath]).connection(context: "admin"),
                             credentialCache: ExecCredentialCache())
    }

    /// Plays the Flink operator on the fake cluster: reports the FlinkDeployment running at
    /// whatever generation Sluice last applied (bounded: ten minutes at most).
    static func playFlinkOperator(on kube: KubeFakeServer) throws -> Task<Void, Never> {
        let client = try kubeClient(kube)
        return Task {
            for _ in 0..<3000 where !Task.isCancelled {
                if let object = try? await client.get(counterOnKube), let generation = object[path: "metadata", "generation"]?.intValue,
                   object[path: "status", "observedGeneration"]?.intValue != generation {
                    try? kube.setStatus(apiVersion: counterOnKube.apiVersion, kind: counterOnKube.kind, namespace: "streaming", name: "counter",
                                        statusJSON: #"{"lifecycleState":"STABLE","jobManagerDeploymentStatus":"READY","jobStatus":{"state":"RUNNING"},"reconciliationStatus":{"state":"DEPLOYED"},"observedGeneration":\#(generation)}"#)
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Where test artifacts (the dashboard screenshot) are kept: `.build/test-artifacts`.
    static var artifacts: URL {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/test-artifacts")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func log(_ work: TemporaryDirectory) -> String {
        String(((try? String(contentsOf: work.url.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "").suffix(3000))
    }

    /// Prometheus text format: `name{labels} value` per sample line.
    static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
}

extension SpecRepository {
    func countsOf(tag: String) -> [Int] { Counts(output: output).counts(tag: tag) }
    func counts(tag: String) async throws -> [Int] { try await Counts(output: output).await(tag: tag) }
}
