import Foundation
import SluiceCore
import SluiceHTTP
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// The dashboard in headless Chromium (driven through the DevTools protocol over a pipe) against
/// a real `sluice serve` that syncs two environments to three clusters on the fake Kubernetes API
/// server, one of them with a failing job. The test reads what the page shows: matrix cells with
/// their words and colours, the jobs, the timeline's SVG bars, the diff, the history filter and
/// a confirmed action; screenshots at a laptop and a phone width are kept as artifacts.
@Suite("the dashboard in headless Chromium")
struct DashboardTests {
    static let readToken = "ro-\(UUID().uuidString)"
    static let operatorToken = "op-\(UUID().uuidString)"
    static let forge = "https://git.example.com/platform/flink-specs"

    /// One FlinkDeployment on a fake cluster, and the status its operator reports.
    struct Deployment: Sendable {
        var fake: KubeFakeServer
        var namespace: String
        var name: String
        var fails: Bool
    }

    @Test("matrix, jobs, timeline, diff, history and actions show what serve reports")
    func dashboard() async throws {
        guard let chromium = HeadlessChromium.executable else {
            Issue.record("chromium is not installed (scripts/install-deps.sh installs it); the dashboard was not rendered")
            return
        }
        // Two fake API servers: stage and prod-eu share one (different namespaces), prod-us has its own.
        let east = try KubeFakeServer(), west = try KubeFakeServer()
        let work = try TemporaryDirectory(prefix: "sluice-dashboard")
        let specs = work.url.appendingPathComponent("specs")
        func cluster(_ name: String, environment: String, fake: KubeFakeServer) throws {
            _ = try work.write("specs/clusters/\(name).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: \(name), labels: {environment: \(environment)}}
                spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
                """)
        }
        try cluster("stage", environment: "staging", fake: east)
        try cluster("prod-eu", environment: "prod", fake: east)
        try cluster("prod-us", environment: "prod", fake: west)
        for (environment, wave) in [("staging", 0), ("prod", 1)] {
            _ = try work.write("specs/environments/\(environment).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: \(environment)}
                spec: {namespace: \(environment), wave: \(wave), clusters: {matchLabels: {environment: \(environment)}}, jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}}
                """)
        }
        func job(_ name: String, parallelism: Int, image: String) throws {
            _ = try work.write("specs/jobs/\(name).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: \(name), labels: {app.kubernetes.io/part-of: shop}}
                spec:
                  image: \(image)
                  flinkVersion: v2_0
                  serviceAccount: flink
                  jobManager: {resource: {memory: 1024m, cpu: 1}}
                  taskManager: {resource: {memory: 2048m, cpu: 1}}
                  job: {jarURI: "local:///opt/flink/usrlib/\(name).jar", parallelism: \(parallelism), upgradeMode: savepoint}
                """)
        }
        try job("orders", parallelism: 2, image: "registry.example.com/orders:1.0.0")
        try job("payments", parallelism: 1, image: "registry.example.com/payments:1.0.0")
        try git(["init", "-q"], in: specs)
        try git(["add", "-A"], in: specs)
        try git(["commit", "-qm", "shop v1"], in: specs)

        // The operator's part: every deployment runs at the generation Sluice applied, except
        // payments on prod-us, whose job fails.
        let deployments = [Deployment(fake: east, namespace: "staging", name: "orders", fails: false),
                           Deployment(fake: east, namespace: "staging", name: "payments", fails: false),
                           Deployment(fake: east, namespace: "prod", name: "orders", fails: false),
                           Deployment(fake: east, namespace: "prod", name: "payments", fails: false),
                           Deployment(fake: west, namespace: "prod", name: "orders", fails: false),
                           Deployment(fake: west, namespace: "prod", name: "payments", fails: true)]
        let flinkOperator = try Self.playFlinkOperator(deployments)
        defer { flinkOperator.cancel() }

        let port = try freePort()
        let base = "http://127.0.0.1:\(port)"
        let serve = try SpawnedProcess(SluiceBinary.url.path, [
            "serve", "--repo", specs.path, "--revision", "main", "--interval", "3600", "--listen", "127.0.0.1:\(port)",
            "--state-dir", work.url.appendingPathComponent("state").path, "--health-timeout", "60", "--forge-url", Self.forge,
        ], env: ["SLUICE_API_READ_TOKEN": Self.readToken, "SLUICE_API_TOKEN": Self.operatorToken,
                 "SLUICE_ALLOWED_ROOTS": [east, west].map { URL(fileURLWithPath: $0.kubeconfigPath).deletingLastPathComponent().path }.joined(separator: ":")],
           stderrPath: work.url.appendingPathComponent("serve.log").path)
        defer { serve.stop(graceSeconds: 5) }
        let serveLog = { String(((try? String(contentsOf: work.url.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "").suffix(3000)) }
        let reader = HTTPClient(configuration: .init(bearerToken: Self.readToken, retry: .none))
        func status() async -> Value? {
            guard let response = try? await reader.send(HTTPRequest(.GET, URL(string: base + "/api/v1/status")!)), response.status == 200 else { return nil }
            return try? JSON.decode(Array(response.body))
        }
        // The first round: stage and prod-eu sync; prod-us fails its health gate (payments fails,
        // which ends the gate at once). The health timeout is long because the operator played
        // above shares two cores with a whole test run: a healthy job must not time out first.
        #expect(await eventually(timeout: .seconds(120)) {
            guard serve.isRunning else { return true }
            return await status()?["clusters"]?.listValue?.compactMap { $0["status"]?.stringValue }.sorted() == ["failed", "synced", "synced"]
        } && serve.isRunning, "serve.log:\n\(serveLog())")
        // v2 changes orders (scale and image); a manual round syncs it.
        try job("orders", parallelism: 4, image: "registry.example.com/orders:1.1.0")
        try git(["commit", "-qam", "orders 1.1.0 on four slots"], in: specs)
        let head = try git(["rev-parse", "HEAD"], in: specs).trimmingCharacters(in: .whitespacesAndNewlines)
        let operatorClient = HTTPClient(configuration: .init(bearerToken: Self.operatorToken, retry: .none))
        #expect(try await operatorClient.send(HTTPRequest(.POST, URL(string: base + "/api/v1/sync")!)).status == 202)
        #expect(await eventually(timeout: .seconds(120)) { await status()?["revision"]?.stringValue == head }, "serve.log:\n\(serveLog())")

        let browser = try HeadlessChromium(executable: chromium, logPath: work.url.appendingPathComponent("chromium.log").path)
        defer { browser.close() }
        let laptop = try await browser.newPage(width: 1366, height: 900)
        try await laptop.navigate(base + "/")
        // Without a token the page asks for one; it is typed into the form, never put in the URL.
        #expect(try await laptop.wait(until: "!document.getElementById('login').hidden", timeout: .seconds(30)), "the page did not ask for a token")
        _ = try await laptop.evaluate("document.getElementById('read-token').value = \(Self.js(Self.readToken)); document.getElementById('login').requestSubmit(); true")
        let loaded = try await laptop.wait(until: "document.body.dataset.loaded === 'true'", timeout: .seconds(30))
        let shown = try await laptop.evaluate("document.body.innerText.slice(0, 2000)") ?? ""
        #expect(loaded, "the page did not render: \(shown)")
        #expect(try await laptop.evaluate("location.href") == base + "/", "the token stays out of the URL")
        #expect(try await laptop.evaluate("sessionStorage.getItem('sluice.readToken')") == Self.readToken)

        // Matrix: one cell per environment and cluster, with words and colours.
        let cells = try Self.json(await laptop.evaluate(Self.matrixCells))
        func cell(_ environment: String, _ cluster: String) -> Value? {
            cells.listValue?.first { $0["env"]?.stringValue == environment && $0["cluster"]?.stringValue == cluster }
        }
        #expect(cells.listValue?.count == 6, "\(cells)")
        #expect(cell("staging", "stage")?["label"]?.stringValue == "synced · healthy", "\(cells)")
        #expect(cell("staging", "stage")?["counts"]?.stringValue == "2 jobs")
        #expect(cell("staging", "stage")?["background"]?.stringValue == "rgb(227, 244, 231)", "healthy cells are green")
        #expect(cell("prod", "prod-eu")?["label"]?.stringValue == "synced · healthy")
        #expect(cell("prod", "prod-us")?["label"]?.stringValue?.hasSuffix("· degraded") == true, "\(cells)")
        #expect(cell("prod", "prod-us")?["counts"]?.stringValue?.contains("1 unhealthy") == true)
        #expect(cell("prod", "prod-us")?["background"]?.stringValue == "rgb(253, 228, 228)", "a failing job colours its cell red")
        #expect(cell("staging", "prod-us")?["label"]?.stringValue == "no jobs", "environments a cluster does not serve stay empty")
        #expect(cell("prod", "stage")?["button"]?.boolValue == false)
        // Headers are real table headers, so screen readers announce row and column.
        #expect(try await laptop.evaluate("document.querySelectorAll('#matrix thead th[scope=col]').length") == "4")
        #expect(try await laptop.evaluate("document.querySelectorAll('#matrix tbody th[scope=row]').length") == "2")

        // Jobs: each job with its state and health on every cluster where it runs.
        let jobs = try Self.json(await laptop.evaluate(Self.jobRows))
        func jobRow(_ job: String) -> Value? { jobs.listValue?.first { $0["job"]?.stringValue == job } }
        #expect(jobs.listValue?.count == 4, "\(jobs)")
        #expect(jobs.listValue?.first?["job"]?.stringValue == "prod/payments", "the failing job is listed first: \(jobs)")
        #expect(jobRow("prod/payments")?["clusters"]?.listValue?.compactMap(\.stringValue) == ["prod-eu synced healthy", "prod-us synced degraded"], "\(jobs)")
        #expect(jobRow("staging/orders")?["clusters"]?.listValue?.compactMap(\.stringValue) == ["stage synced healthy"], "\(jobs)")
        #expect(jobRow("prod/orders")?["revision"]?.stringValue?.isEmpty == false)
        #expect(jobRow("prod/orders")?["upgradeMode"]?.stringValue == "savepoint", "\(jobs)")
        #expect(jobRow("prod/orders")?["parallelism"]?.stringValue == "4", "\(jobs)")
        // The page follows the server-sent events of /api/v1/events.
        #expect(try await laptop.wait(until: "document.getElementById('live').textContent.includes('server-sent events')", timeout: .seconds(10)))

        // Timeline: SVG bars per cluster in wave lanes; prod-us's failure is marked.
        let bars = try Self.json(await laptop.evaluate(Self.timelineBars))
        let newest = bars.listValue ?? []
        #expect(Set(newest.compactMap { $0["cluster"]?.stringValue }) == ["stage", "prod-eu", "prod-us"], "\(bars)")
        #expect(newest.first { $0["cluster"]?.stringValue == "stage" }?["wave"]?.stringValue == "0")
        #expect(newest.first { $0["cluster"]?.stringValue == "prod-eu" }?["wave"]?.stringValue == "1")
        let allBars = try Self.json(await laptop.evaluate(Self.allTimelineBars))
        #expect(allBars.listValue?.contains { $0["cluster"]?.stringValue == "prod-us" && $0["status"]?.stringValue == "failed"
            && $0["fill"]?.stringValue == "rgb(244, 163, 163)" && $0["text"]?.stringValue?.contains("✕") == true } == true,
                "the failed health gate of prod-us is a red bar marked ✕: \(allBars)")
        #expect(allBars.listValue?.allSatisfy { $0["width"]?.doubleValue ?? 0 > 0 && $0["link"]?.stringValue == "#history" } == true)

        // Diff: desired against live for orders, field by field, after choosing it in the list.
        // The choice must survive the HTML parser: an option value joined with U+0000 came back
        // with U+FFFD and named no object, unless a live update happened to re-render the list.
        // The first entry is prod-eu's: stage is chosen, so the page must follow the choice.
        #expect(try await laptop.wait(until: Self.chooseOrdersDiff, timeout: .seconds(15)), "the diff list offers orders on stage")
        let diffShown = try await laptop.wait(until: "(t => t?.dataset.cluster === 'stage' && t.dataset.object.endsWith('/orders'))(document.querySelector('#diff-body table'))", timeout: .seconds(15))
        let diffBody = try await laptop.evaluate("document.getElementById('diff-body').innerHTML.slice(0, 300)") ?? ""
        #expect(diffShown, "choosing orders shows its diff: \(diffBody)")
        let diff = try Self.json(await laptop.evaluate(Self.diffRows))
        let fields = diff["rows"]?.listValue ?? []
        #expect(fields.contains { $0["field"]?.stringValue == "spec.job.parallelism" && $0["live"]?.stringValue == "2" && $0["desired"]?.stringValue == "4" }, "\(diff)")
        #expect(fields.contains { $0["field"]?.stringValue == "spec.image" && $0["desired"]?.stringValue?.contains("orders:1.1.0") == true }, "\(diff)")
        // The Flink change class of each field, as the operator classifies it (a native-mode
        // FlinkDeployment: an image change is an upgrade; see OperatorChangeClassTests).
        #expect(fields.contains { $0["field"]?.stringValue == "spec.image" && $0["changeClass"]?.stringValue == "upgrade" }, "\(diff)")

        // History links revisions to the forge.
        let link = try await laptop.evaluate("document.querySelector('#history-table a')?.getAttribute('href') ?? ''")
        #expect(link?.hasPrefix(Self.forge + "/commit/") == true, "\(link ?? "")")

        try await laptop.screenshot(to: Self.artifacts.appendingPathComponent("dashboard-1366.png").path)

        // A click on a cell filters everything below it to that environment and cluster.
        _ = try await laptop.evaluate("document.querySelector('button.cell[data-env=\"prod\"][data-cluster=\"prod-us\"]').click(); true")
        #expect(try await laptop.evaluate("document.querySelector('button.cell[data-cluster=\"prod-us\"]').getAttribute('aria-pressed')") == "true")
        let filtered = try Self.json(await laptop.evaluate(Self.jobRows))
        #expect(filtered.listValue?.compactMap { $0["job"]?.stringValue } == ["prod/payments", "prod/orders"], "\(filtered)")
        #expect(filtered.listValue?.allSatisfy { ($0["clusters"]?.listValue ?? []).allSatisfy { $0.stringValue?.hasPrefix("prod-us ") == true } } == true)
        let filteredBars = try Self.json(await laptop.evaluate(Self.allTimelineBars))
        #expect(filteredBars.listValue?.isEmpty == false && filteredBars.listValue?.allSatisfy { $0["cluster"]?.stringValue == "prod-us" } == true, "\(filteredBars)")
        #expect(try await laptop.evaluate("[...document.querySelectorAll('#history-table tbody tr[data-cluster]')].every(r => r.dataset.cluster === 'prod-us')") == "true")
        // A timeline bar opens its journal records.
        _ = try await laptop.evaluate("document.getElementById('clear-filter').click(); document.querySelector('#timeline a.bar-link[data-cluster=\"stage\"]').dispatchEvent(new MouseEvent('click', {bubbles: true})); true")
        #expect(try await laptop.evaluate("document.getElementById('history-cluster').value") == "stage")
        #expect(try await laptop.wait(until: "(rows => rows.length > 0 && rows.every(r => r.dataset.cluster === 'stage'))([...document.querySelectorAll('#history-table tbody tr')])",
                                      timeout: .seconds(15)), "the bar opened the journal records of stage")

        // Actions appear only with the operator token, and each asks first.
        #expect(try await laptop.evaluate("document.getElementById('action-panel').hidden") == "true")
        _ = try await laptop.evaluate("document.getElementById('operator-token').value = \(Self.js(Self.operatorToken)); document.getElementById('operator-login').requestSubmit(); true")
        #expect(try await laptop.evaluate("document.getElementById('action-panel').hidden") == "false")
        // A savepoint target chosen in its list names the job and cluster in the confirmation.
        _ = try await laptop.evaluate("""
            (() => { const select = document.getElementById('savepoint-target');
              select.value = [...select.options].find(o => o.text === 'prod-eu · prod/payments').value;
              document.getElementById('action-savepoint').requestSubmit(); return true; })()
            """)
        #expect(try await laptop.wait(until: "document.getElementById('confirm').open", timeout: .seconds(5)), "a savepoint asks for confirmation")
        #expect(try await laptop.evaluate("document.getElementById('confirm-text').textContent") == "Take a savepoint of prod/payments on prod-eu now? The job keeps running.")
        _ = try await laptop.evaluate("document.querySelector('#confirm button[value=cancel]').click(); true")
        #expect(try await laptop.wait(until: "!document.getElementById('confirm').open", timeout: .seconds(5)))
        _ = try await laptop.evaluate("document.getElementById('action-sync').click(); true")
        #expect(try await laptop.wait(until: "document.getElementById('confirm').open", timeout: .seconds(5)), "Sync now asks for confirmation")
        #expect(try await laptop.evaluate("document.getElementById('confirm-text').textContent")?.contains("sync") == true)
        _ = try await laptop.evaluate("document.getElementById('confirm-ok').click(); true")
        let queued = try await laptop.wait(until: "document.getElementById('action-result').textContent.includes('queued')", timeout: .seconds(15))
        let answer = try await laptop.evaluate("document.getElementById('action-result').textContent") ?? ""
        #expect(queued, "\(answer)")

        // A phone: the same page, nothing wider than the screen.
        let phone = try await browser.newPage(width: 390, height: 844, mobile: true)
        try await phone.beforeEachDocument("sessionStorage.setItem('sluice.readToken', \(Self.js(Self.readToken)))")
        try await phone.navigate(base + "/")
        #expect(try await phone.wait(until: "document.body.dataset.loaded === 'true'", timeout: .seconds(30)))
        let phoneWidth = try await phone.evaluate("document.documentElement.scrollWidth") ?? ""
        #expect(Int(phoneWidth).map { $0 <= 390 } == true, "the page scrolls sideways on a phone: \(phoneWidth) px wide")
        #expect(try Self.json(await phone.evaluate(Self.matrixCells)).listValue?.count == 6)
        try await phone.screenshot(to: Self.artifacts.appendingPathComponent("dashboard-390.png").path)
    }

    // MARK: - What the page shows, read in the page

    static let matrixCells = """
        JSON.stringify([...document.querySelectorAll('#matrix tbody tr')].flatMap(row => {
          const env = row.querySelector('th').textContent;
          const clusters = [...document.querySelectorAll('#matrix thead th')].slice(1).map(th => th.firstChild.textContent);
          return [...row.querySelectorAll('td')].map((td, i) => {
            const button = td.querySelector('button.cell');
            return {env, cluster: clusters[i], button: !!button,
                    label: button ? button.querySelector('strong').textContent : td.textContent,
                    counts: button ? button.querySelector('small').textContent : '',
                    background: button ? getComputedStyle(button).backgroundColor : ''};
          });
        }))
        """

    static let jobRows = """
        JSON.stringify([...document.querySelectorAll('#jobs tbody tr')].map(row => ({
          job: row.querySelector('th').firstChild.textContent,
          clusters: [...row.querySelectorAll('td.clusters li')].map(li => li.dataset.cluster + ' ' + li.dataset.sync + ' ' + li.dataset.health),
          upgradeMode: row.cells[2].textContent.trim(), parallelism: row.cells[3].textContent.trim(),
          revision: row.cells[7].textContent.trim() === '–' ? '' : row.cells[7].textContent.trim()
        })))
        """

    static let allTimelineBars = """
        JSON.stringify([...document.querySelectorAll('#timeline svg rect.bar')].map(rect => ({
          cluster: rect.dataset.cluster, wave: rect.dataset.wave, status: rect.dataset.status,
          width: rect.width.baseVal.value, fill: getComputedStyle(rect).fill,
          text: rect.parentNode.querySelector('text').textContent, link: rect.parentNode.getAttribute('href')
        })))
        """

    /// The bars of the newest round only (the first block of the chart).
    static let timelineBars = """
        (() => {
          const svg = document.querySelector('#timeline svg');
          const titles = [...svg.querySelectorAll('text.round-title')];
          const second = titles[1] ? titles[1].getBBox().y : Infinity;
          return JSON.stringify([...svg.querySelectorAll('rect.bar')].filter(r => r.y.baseVal.value < second)
            .map(r => ({cluster: r.dataset.cluster, wave: r.dataset.wave, status: r.dataset.status})));
        })()
        """

    static let chooseOrdersDiff = """
        (() => {
          const select = document.getElementById('diff-object');
          const choice = [...select.options].find(o => o.text.startsWith('stage · ') && o.text.includes('/orders'));
          if (choice) { select.value = choice.value; select.dispatchEvent(new Event('change')); }
          return Boolean(choice);
        })()
        """

    static let diffRows = """
        (() => {
          const table = document.querySelector('#diff-body table');
          return JSON.stringify({object: table ? table.dataset.object : '', rows: table ? [...table.tBodies[0].rows].map(r => ({
            field: r.cells[0].querySelector('code').textContent, live: r.cells[1].textContent, desired: r.cells[2].textContent, changeClass: r.cells[3].textContent})) : []});
        })()
        """

    // MARK: - Helpers

    /// A JavaScript string literal.
    static func js(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), as: UTF8.self)
    }

    static func json(_ text: String?) throws -> Value {
        try JSON.decode(Array((text ?? "null").utf8))
    }

    /// Plays the Flink operator on the fakes: reports each deployment running at the generation
    /// Sluice last applied (or failed, for the one that fails). Bounded: five minutes at most.
    static func playFlinkOperator(_ deployments: [Deployment]) throws -> Task<Void, Never> {
        let clients = try deployments.map {
            try KubernetesClient(connection: try KubeConfig.load(paths: [$0.fake.kubeconfigPath]).connection(context: "admin"),
                                 credentialCache: ExecCredentialCache())
        }
        return Task {
            for _ in 0..<1500 where !Task.isCancelled {
                for (deployment, client) in zip(deployments, clients) {
                    let reference = ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment",
                                                    namespace: deployment.namespace, name: deployment.name)
                    guard let object = try? await client.get(reference), let generation = object[path: "metadata", "generation"]?.intValue,
                          object[path: "status", "observedGeneration"]?.intValue != generation else { continue }
                    let job = deployment.fails ? "FAILED" : "RUNNING", lifecycle = deployment.fails ? "FAILED" : "STABLE"
                    let status = #"{"lifecycleState":"\#(lifecycle)","jobManagerDeploymentStatus":"READY","jobStatus":{"state":"\#(job)"},"reconciliationStatus":{"state":"DEPLOYED"},"observedGeneration":\#(generation)}"#
                    let fake = deployment.fake
                    _ = try? await onDedicatedThread("fake-operator") {
                        try fake.setStatus(apiVersion: reference.apiVersion, kind: reference.kind, namespace: reference.namespace,
                                           name: reference.name, statusJSON: status)
                    }
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Where the screenshots are kept: `.build/test-artifacts`.
    static var artifacts: URL {
        let url = SluiceBinary.repositoryRoot.appendingPathComponent(".build/test-artifacts")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
