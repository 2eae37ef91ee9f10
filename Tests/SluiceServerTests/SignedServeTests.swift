import Foundation
import SluiceHTTP
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// `sluice serve --verify-commits=all` against the fake API server: a signed commit deploys; an
/// unsigned commit pushed after it is refused, the status API, /metrics say why, and nothing
/// changes on the cluster; a signed commit on top of the unsigned one is still refused.
@Suite("sluice serve with signed commits")
struct SignedServeTests {
    static let readToken = "ro-\(UUID().uuidString)"

    @Test("a signed commit deploys; an unsigned one is refused and the cluster keeps the last good revision")
    func refusesUnsigned() async throws {
        let fake = try KubeFakeServer()
        let client = try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"))
        let work = try TemporaryDirectory(prefix: "sluice-signed-serve")
        let repository = work.url.appendingPathComponent("specs")
        let key = try SSHSigningKey.generate(in: work.url, name: "deployer", type: "ed25519")
        let signers = try work.write("allowed_signers", key.allowedSignersLine("test@localhost") + "\n").path
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
        func commit(mode: String, signed: Bool) throws -> String {
            _ = try work.write("specs/jobs/settings.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, labels: {app.kubernetes.io/part-of: shop}}
                data: {mode: \(mode)}
                """)
            try git(["add", "-A"], in: repository)
            try git(["commit", "-q", signed ? "-S" : "--no-gpg-sign", "-m", "mode \(mode)"], in: repository, config: signed ? key.gitConfig : [])
            return try git(["rev-parse", "HEAD"], in: repository, config: [])
        }
        try git(["init", "-q"], in: repository)
        _ = try commit(mode: "one", signed: true)

        let port = try freePort()
        let log = work.url.appendingPathComponent("serve.log")
        let serve = try SpawnedProcess(SluiceBinary.url.path, [
            "serve", "--repo", repository.path, "--revision", "main", "--interval", "1",
            "--listen", "127.0.0.1:\(port)", "--state-dir", work.url.appendingPathComponent("state").path,
            "--verify-commits=all", "--allowed-signers", signers,
        ], env: ["KUBECONFIG": fake.kubeconfigPath, "SLUICE_API_READ_TOKEN": Self.readToken,
                 // The Cluster names the fake's kubeconfig: a host path the operator must allow.
                 "SLUICE_ALLOWED_ROOTS": URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path],
                 stderrPath: log.path)
        defer { serve.stop(graceSeconds: 5) }
        var serveLog: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        let settings = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "settings")
        func live() async -> Value? { try? await client.get(settings) }
        func status() async -> Value? {
            let http = HTTPClient(configuration: .init(bearerToken: Self.readToken, retry: .none))
            guard let url = URL(string: "http://127.0.0.1:\(port)/api/v1/status"),
                  let response = try? await http.send(HTTPRequest(.GET, url)), response.status == 200 else { return nil }
            return try? JSON.decode(Array(response.body))
        }
        func metric(_ prefix: String) async -> Double? {
            guard let url = URL(string: "http://127.0.0.1:\(port)/metrics"),
                  let response = try? await HTTPClient(configuration: .init(retry: .none)).send(HTTPRequest(.GET, url)) else { return nil }
            let line = String(decoding: response.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix + " ") }
            return line.flatMap { Double($0.split(separator: " ").last!) }
        }

        #expect(await eventually(timeout: .seconds(60)) { await live()?[path: "data", "mode"]?.stringValue == "one" }, "serve.log:\n\(serveLog)")
        let deployed = try #require(await live())
        let good = try git(["rev-parse", "HEAD"], in: repository, config: [])
        #expect(await eventually(timeout: .seconds(20)) { await status()?["lastGoodRevision"]?.stringValue == good })

        // An unsigned commit: refused, said why, nothing changes on the cluster.
        let unsigned = try commit(mode: "two", signed: false)
        #expect(await eventually(timeout: .seconds(30)) {
            await status()?["unverified"]?.stringValue?.hasPrefix("\(unsigned) not signed") == true
        }, "serve.log:\n\(serveLog)")
        let refused = try #require(await status())
        #expect(refused["lastGoodRevision"]?.stringValue == good)
        #expect(refused["revision"]?.stringValue == good, "the revision kept running is the last good one")
        #expect(refused[path: "unverifiedDetail", "reason"]?.stringValue == "unsigned")
        #expect(refused["message"]?.stringValue?.hasPrefix("unverified: \(unsigned)") == true)
        #expect(await metric("sluice_revision_unverified") == 1)
        #expect(await metric(#"sluice_commit_signature_refusals_total{reason="unsigned"}"#) == 1)
        #expect(await metric(#"sluice_commit_signature_refusals_total{reason="bad_signature"}"#) == 0)
        let afterRefusal = try #require(await live())
        #expect(afterRefusal[path: "data", "mode"]?.stringValue == "one")
        #expect(afterRefusal[path: "metadata", "resourceVersion"]?.stringValue == deployed[path: "metadata", "resourceVersion"]?.stringValue, "the object was not written")

        // The dashboard, rendered by headless Chromium, shows the refusal.
        if HeadlessChromium.executable != nil {
            let dom = try await renderedDashboard(base: "http://127.0.0.1:\(port)", token: Self.readToken)
            #expect(dom != nil, "the page did not render the status")
            #expect(dom?.contains("unverified: \(unsigned) not signed") == true, "\(dom?.prefix(3000) ?? "")")
        } else {
            Issue.record("chromium is not installed (scripts/install-deps.sh installs it); the dashboard was not rendered")
        }

        // A signed commit on top does not launder the unsigned one below it (=all).
        let signedOnTop = try commit(mode: "three", signed: true)
        #expect(await eventually(timeout: .seconds(30)) {
            let text = await status()?["unverified"]?.stringValue ?? ""
            return text.hasPrefix("\(signedOnTop) not signed in commit \(unsigned.prefix(12))")
        }, "serve.log:\n\(serveLog)")
        #expect(await live()?[path: "data", "mode"]?.stringValue == "one")
        #expect(serveLog.contains("unverified: \(unsigned) not signed"))
    }
}
