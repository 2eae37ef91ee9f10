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

extension ServeBenchmarks {
    /// `sluice serve` over an in-sync fleet of `jobs` FlinkDeployments on `clusters` flink
    /// clusters (one static server answers every cluster's `/jobs/overview`), a full resync every
    /// round: resident memory, and CPU time per resync from the process's own counters (which the
    /// load of a shared machine barely changes), over whole rounds for at least `seconds` once the
    /// fleet is synced.
    static func resync(sluice: String, jobs: Int, clusters: Int, seconds: Int) async throws {
        let work = try TemporaryDirectory(prefix: "sluice-bench-resync")
        let filePort = try freePort(), apiPort = try freePort()
        try prepareFleet(at: work.url, jobs: jobs, clusters: clusters, base: "http://127.0.0.1:\(filePort)")
        let specs = work.url.appendingPathComponent("specs")
        _ = try git(["init", "-q", "-b", "main"], in: specs)
        _ = try git(["add", "-A"], in: specs)
        _ = try git(["-c", "user.name=b", "-c", "user.email=b@l", "commit", "-qm", "fleet"], in: specs)
        let files = try SpawnedProcess("/usr/bin/python3", ["-m", "http.server", "\(filePort)", "--bind", "127.0.0.1",
                                                            "--directory", work.url.appendingPathComponent("served").path])
        defer { files.stop() }
        let log = work.url.appendingPathComponent("serve.log").path
        let serve = try SpawnedProcess(sluice, ["serve", "--repo", specs.path, "--revision", "main", "--interval", "1", "--resync-every", "1",
                                                "--listen", "127.0.0.1:\(apiPort)", "--state-dir", work.url.appendingPathComponent("state").path],
                                       env: ["SLUICE_API_READ_TOKEN": "bench"], stderrPath: log)
        defer { serve.stop(graceSeconds: 10) }
        let http = HTTPClient(configuration: .init(bearerToken: "bench", retry: .none))
        let base = URL(string: "http://127.0.0.1:\(apiPort)")!
        func synced() async -> Int {
            guard let response = try? await http.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))),
                  let document = try? JSON.decode(Array(response.body)) else { return 0 }
            return document["clusters"]?.listValue?.filter { ["synced", "unchanged"].contains($0["status"]?.stringValue) }.count ?? 0
        }
        /// Rounds so far: one fetch per round.
        func rounds() async -> Int? {
            guard let response = try? await http.send(HTTPRequest(.GET, base.appendingPathComponent("metrics"))) else { return nil }
            let text = String(decoding: response.body, as: UTF8.self)
            return text.split(separator: "\n").first { $0.hasPrefix("sluice_git_fetch_duration_seconds_count") }
                .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }.map { Int($0) }
        }
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline, await synced() < clusters {
            guard serve.isRunning else { throw BenchError("sluice serve ended; see \(log)") }
            try await Task.sleep(for: .milliseconds(500))
        }
        guard await synced() == clusters else { throw BenchError("the fleet did not report synced within 600 s; see \(log)") }
        // CPU is read at round boundaries (the fetch counter moving on), so whole rounds are
        // measured; the first boundary comes after a round that already reused the loaded commit.
        func nextBoundary(after count: Int) async throws -> Int {
            while true {
                if let now = await rounds(), now > count { return now }
                guard serve.isRunning else { throw BenchError("sluice serve ended; see \(log)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let startRounds = try await nextBoundary(after: try await nextBoundary(after: await rounds() ?? 0))
        let startCPU = try cpuSeconds(of: serve.pid), start = ContinuousClock.now
        var endRounds = startRounds
        repeat { endRounds = try await nextBoundary(after: endRounds) } while (ContinuousClock.now - start) < .seconds(seconds)
        let endCPU = try cpuSeconds(of: serve.pid), wall = (ContinuousClock.now - start).seconds
        let memory = try residentMemory(of: serve.pid)
        let done = endRounds - startRounds
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print(String(format: "serve-resync: %d jobs on %d clusters, all synced; %d full resyncs in %.0f s: %.2f s of CPU each (user+sys), %.1f s wall each; %.1f MiB resident, peak %.1f MiB",
                     jobs, clusters, done, wall, (endCPU - startCPU) / Double(done), wall / Double(done), memory.rss, memory.peak) + " (load average \(load))")
    }

    /// User + system CPU seconds a process has used.
    static func cpuSeconds(of pid: pid_t) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Double(fields[11])! + Double(fields[12])!) / ticks
    }

    /// Resident and peak resident memory of a process, in MiB.
    static func residentMemory(of pid: pid_t) throws -> (rss: Double, peak: Double) {
        var values: [String: Double] = [:]
        for line in try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: ":")
            if parts.count == 2, ["VmRSS", "VmHWM"].contains(parts[0]) {
                values[String(parts[0])] = Double(parts[1].split(whereSeparator: \.isWhitespace).first ?? "0").map { $0 / 1024 }
            }
        }
        return (values["VmRSS"] ?? 0, values["VmHWM"] ?? 0)
    }
}
