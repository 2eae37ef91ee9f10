import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceServer
import SluiceTestSupport
import SluiceSpec
import SluiceYAML

/// Fixtures for the `sluice serve` benchmarks that scripts/bench.sh drives.
enum ServeBenchmarks {
    /// A fleet already in sync: a Git repository of `jobs` FlinkDeployments spread over `clusters`
    /// flink-driver clusters at `<base>/c<i>`, the applied-state stores a previous sync would have
    /// left, and the `/jobs/overview` files a static server answers for each cluster.
    static func prepareFleet(at root: URL, jobs: Int, clusters: Int, base: String) throws {
        let specs = root.appendingPathComponent("specs"), served = root.appendingPathComponent("served"), state = root.appendingPathComponent("state")
        for folder in ["clusters", "environments", "jobs"] {
            try FileManager.default.createDirectory(at: specs.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for c in 0..<clusters {
            try FlinkBenchmarks.write(specs, "clusters/c\(c).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: c\(c), labels: {shard: "\(c)"}}
                spec: {tier: private, driver: flink, flink: {url: "\(base)/c\(c)"}}
                """)
            try FlinkBenchmarks.write(specs, "environments/e\(c).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: e\(c)}
                spec: {namespace: flink, clusters: {matchLabels: {shard: "\(c)"}}, jobs: {matchLabels: {shard: "\(c)"}}}
                """)
        }
        for j in 0..<jobs {
            try FlinkBenchmarks.write(specs, "jobs/job-\(j).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: job-\(j), labels: {shard: "\(j % clusters)"}}
                spec:
                  flinkVersion: v2_0
                  flinkConfiguration: {execution.checkpointing.interval: 30s, execution.checkpointing.savepoint-dir: "file:///var/flink/sp/\(j)"}
                  job: {jarURI: "https://artifacts.example/jobs/job-\(j % 20).jar", parallelism: \(1 + j % 4), upgradeMode: savepoint}
                """)
        }
        let loaded = try SpecLoader().load(from: DirectoryTree(path: specs.path), path: "", revision: "fleet")
        let rendered = try Renderer().render(loaded)
        for cluster in rendered.clusters {
            let store = try AppliedStore(directory: state.appendingPathComponent("applied"), cluster: cluster.cluster.name)
            var overview: [[String: Any]] = []
            for object in cluster.objects {
                let jobID = JobOwner(cluster: cluster.cluster.name, object: object.identity.description).newJobID(specHash: object.specHash)
                try store.set(object.identity, AppliedStore.Entry(identity: object.identity, object: JSON.encode(object.value, sortedKeys: true),
                                                                  specHash: object.specHash, jobID: jobID, savepointPath: nil, appliedAt: Date(timeIntervalSince1970: 0)))
                overview.append(["jid": jobID, "name": object.identity.name, "state": "RUNNING", "start-time": 1_700_000_000_000, "end-time": -1])
            }
            let directory = served.appendingPathComponent("\(cluster.cluster.name)/jobs")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: ["jobs": overview]).write(to: directory.appendingPathComponent("overview"))
        }
        print("prepare-fleet: \(jobs) jobs on \(clusters) clusters in \(root.path)")
    }
}

extension ServeBenchmarks {
    /// Commit to running through the webhook path: push a commit, deliver a signed webhook to a
    /// running `sluice serve`, and time until the status API reports the commit synced; Flink's
    /// share (stop with savepoint, submit, start to first checkpoint) comes from the journal.
    static func webhookLatency(sluice: String, rounds: Int) async throws {
        let flink = try await FlinkSessionCluster(taskSlots: 4)
        defer { flink.stop() }
        let daemon = try GitDaemon()
        let bare = try daemon.createBareRepository("specs.git")
        let work = try TemporaryDirectory(prefix: "sluice-bench-serve")
        let checkout = work.url.appendingPathComponent("checkout"), output = work.url.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        func commit(tag: String) throws {
            try FlinkBenchmarks.writeCounter(to: checkout, url: flink.restURL, jar: try FlinkSessionCluster.testJobJar(), output: output,
                                             savepoints: flink.savepointDir, tag: tag)
            _ = try git(["add", "-A"], in: checkout)
            _ = try git(["-c", "user.name=b", "-c", "user.email=b@l", "commit", "-qm", tag], in: checkout)
            _ = try git(["push", "-q", bare.path, "HEAD:main"], in: checkout)
        }
        try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
        _ = try git(["init", "-q", "-b", "main"], in: checkout)
        try commit(tag: "v0")
        let port = try freePort(), secret = "bench-secret", token = "bench-token"
        let state = work.url.appendingPathComponent("state")
        let serve = try SpawnedProcess(sluice, ["serve", "--repo", daemon.url("specs.git"), "--revision", "main", "--interval", "3600",
                                                "--listen", "127.0.0.1:\(port)", "--state-dir", state.path,
                                                "--cache-dir", work.url.appendingPathComponent("cache").path],
                                       env: ["SLUICE_WEBHOOK_SECRET": secret, "SLUICE_API_READ_TOKEN": token],
                                       stderrPath: work.url.appendingPathComponent("serve.log").path)
        defer { serve.stop(graceSeconds: 10) }
        let http = HTTPClient(configuration: .init(bearerToken: token, retry: .none))
        let base = URL(string: "http://127.0.0.1:\(port)")!
        func synced(_ revision: String) async -> Bool {
            guard let response = try? await http.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))),
                  let document = try? JSON.decode(Array(response.body)) else { return false }
            return document["revision"]?.stringValue == revision && document[path: "clusters"]?[0]?["status"]?.stringValue == "synced"
        }
        let first = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)
        let ready = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < ready, !(await synced(first)) { try await Task.sleep(for: .milliseconds(200)) }
        let journal = try Journal(directory: state)
        for round in 1...rounds {
            try commit(tag: "v\(round)")
            let head = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)
            let payload = Array(#"{"ref":"refs/heads/main","after":"\#(head)"}"#.utf8)
            let signature = WebhookVerifier.signature(of: payload, secret: secret)
            let start = ContinuousClock.now
            _ = try await http.send(HTTPRequest(.POST, base.appendingPathComponent("webhooks/github"),
                                                headers: ["X-Hub-Signature-256": signature, "X-GitHub-Event": "push"], body: .data(Data(payload), contentType: "application/json")))
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline, !(await synced(head)) { try await Task.sleep(for: .milliseconds(20)) }
            let total = (ContinuousClock.now - start).seconds
            let records = try journal.records().filter { $0.revision == head }
            func ms(_ step: JournalRecord.Step) -> Double { Double(records.last { $0.step == step && $0.phase == .outcome }?.durationMilliseconds ?? 0) / 1000 }
            let submitted = records.last { $0.step == .submit && $0.phase == .outcome }?.time
            let healthy = records.last { $0.step == .healthGate }?.time
            let gate = submitted.flatMap { s in healthy.map { $0.timeIntervalSince(s) } } ?? 0
            let flinkShare = ms(.stopWithSavepoint) + ms(.submit) + gate
            let firstStep = records.first { $0.step == .stopWithSavepoint }?.time
            let sent = Date().addingTimeInterval(-total)
            let before = firstStep.map { $0.timeIntervalSince(sent) } ?? 0
            let after = healthy.map { Date().timeIntervalSince($0) } ?? 0
            print(String(format: "webhook-to-running %d: %.2f s = Flink %.2f s (stop-with-savepoint %.2f, submit %.2f, start to RUNNING + first checkpoint %.2f) + Sluice %.3f s (%.3f s from the webhook to the first lifecycle step: fetch, load, render, plan, policies; %.3f s from healthy to reported)",
                         round, total, flinkShare, ms(.stopWithSavepoint), ms(.submit), gate, total - flinkShare, before, after))
        }
    }
}
