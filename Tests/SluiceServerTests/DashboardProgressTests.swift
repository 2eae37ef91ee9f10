import Foundation
import SluiceCore
import SluiceHTTP
import SluiceTestSupport
import SluiceYAML
import Testing

/// Issue 17 §1, "the first round is never a blank page": while a round is in progress the
/// dashboard shows its phase, its revision and where each cluster is, and stops showing it once
/// the round ends. In headless Chromium against a real `sluice serve` whose first round waits on
/// the health gate of a FlinkDeployment on the fake Kubernetes API server that no operator has
/// reported on yet; the operator is then played, and the round ends.
@Suite("the dashboard shows the round in progress")
struct DashboardProgressTests {
    static let readToken = "ro-\(UUID().uuidString)"

    @Test("phase, revision and each cluster's state while a health gate waits; gone once the round ends")
    func roundInProgress() async throws {
        guard let chromium = HeadlessChromium.executable else {
            Issue.record("chromium is not installed (scripts/install-deps.sh installs it); the dashboard was not rendered")
            return
        }
        let fake = try KubeFakeServer()
        let work = try TemporaryDirectory(prefix: "sluice-dashboard-progress")
        let specs = work.url.appendingPathComponent("specs")
        _ = try work.write("specs/clusters/stage.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: stage, labels: {environment: staging}}
            spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
            """)
        _ = try work.write("specs/environments/staging.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: staging}
            spec: {namespace: staging, clusters: {matchLabels: {environment: staging}}, jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}}
            """)
        _ = try work.write("specs/jobs/orders.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders, labels: {app.kubernetes.io/part-of: shop}}
            spec:
              image: registry.example.com/orders:1.0.0
              flinkVersion: v2_0
              serviceAccount: flink
              jobManager: {resource: {memory: 1024m, cpu: 1}}
              taskManager: {resource: {memory: 2048m, cpu: 1}}
              job: {jarURI: "local:///opt/flink/usrlib/orders.jar", parallelism: 1, upgradeMode: savepoint}
            """)
        try git(["init", "-q"], in: specs)
        try git(["add", "-A"], in: specs)
        try git(["commit", "-qm", "orders v1"], in: specs)
        let head = try git(["rev-parse", "HEAD"], in: specs).trimmingCharacters(in: .whitespacesAndNewlines)

        let port = try freePort()
        let base = "http://127.0.0.1:\(port)"
        let log = work.url.appendingPathComponent("serve.log")
        // The health timeout outlasts the test: the gate ends because the operator reports, not by time.
        let serve = try SpawnedProcess(SluiceBinary.url.path, [
            "serve", "--repo", specs.path, "--revision", "main", "--interval", "3600", "--listen", "127.0.0.1:\(port)",
            "--state-dir", work.url.appendingPathComponent("state").path, "--health-timeout", "600",
        ], env: ["SLUICE_API_READ_TOKEN": Self.readToken,
                 "SLUICE_ALLOWED_ROOTS": URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path],
           stderrPath: log.path)
        defer { serve.stop(graceSeconds: 5) }
        let serveLog = { String(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(3000)) }

        let reader = HTTPClient(configuration: .init(bearerToken: Self.readToken, retry: .none))
        #expect(await eventually(timeout: .seconds(60)) {
            guard serve.isRunning else { return true }
            return (try? await reader.send(HTTPRequest(.GET, URL(string: base + "/api/v1/status")!)))?.status == 200
        } && serve.isRunning, "serve did not start: \(serveLog())")

        let browser = try HeadlessChromium(executable: chromium, logPath: work.url.appendingPathComponent("chromium.log").path)
        defer { browser.close() }
        let page = try await browser.newPage(width: 1366, height: 900)
        // The page is opened while the first round runs (it is the first thing serve does).
        try await page.navigate(base + "/")
        #expect(try await page.wait(until: "!document.getElementById('login').hidden", timeout: .seconds(30)), "the page did not ask for a token")
        _ = try await page.evaluate("document.getElementById('read-token').value = \(DashboardTests.js(Self.readToken)); document.getElementById('login').requestSubmit(); true")

        // The health gate waits (no operator has reported on orders): the page says so.
        let shown = try await page.wait(until: """
            (p => !p.hidden && (p.querySelector('li[data-cluster="stage"]')?.textContent ?? '').includes('waiting-for-health'))(document.getElementById('progress'))
            """, timeout: .seconds(90))
        let progress = try await page.evaluate("document.getElementById('progress').innerText") ?? ""
        #expect(shown, "the page never showed the health gate waiting: \(progress)\nserve.log:\n\(serveLog())")
        #expect(progress.contains("Round in progress: applying"), "the phase: \(progress)")
        #expect(progress.contains("revision \(head.prefix(12)) (start)"), "the revision and why the round runs: \(progress)")
        let stage = try await page.evaluate("document.querySelector('#progress li[data-cluster=\"stage\"]').innerText") ?? ""
        #expect(stage.hasPrefix("stage: waiting-for-health 1/1"), "the cluster's state and count: \(stage)")
        #expect(stage.contains("orders"), "what it waits for: \(stage)")

        // The operator reports orders running: the round ends and the page stops showing it.
        let flinkOperator = try DashboardTests.playFlinkOperator([.init(fake: fake, namespace: "staging", name: "orders", fails: false)])
        defer { flinkOperator.cancel() }
        let ended = try await page.wait(until: """
            document.getElementById('progress').hidden && document.getElementById('progress').innerHTML === '' &&
              [...document.querySelectorAll('#matrix button.cell')].some(b => b.dataset.cluster === 'stage' && b.dataset.sync === 'synced' && b.dataset.health === 'healthy')
            """, timeout: .seconds(90))
        let after = try await page.evaluate("document.getElementById('progress').hidden + ' ' + document.body.innerText.slice(0, 1500)") ?? ""
        #expect(ended, "the round did not end on the page: \(after)\nserve.log:\n\(serveLog())")
    }
}
