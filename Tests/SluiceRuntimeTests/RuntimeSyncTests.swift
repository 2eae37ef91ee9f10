import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluicePipeline
import SluiceRuntime
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import Testing

extension RealFlink {
/// The embedded runtime and its HTTP API, with real JobManagers and TaskManagers on 127.0.0.1.
@Suite("Sync to the bundled runtime")
struct RuntimeSyncTests {
    final class World: @unchecked Sendable {
        let work: TemporaryDirectory
        let repo: SpecRepository
        let counts: Counts
        let runtimes = RuntimeRegistry()
        var stateDirectory: URL { work.url.appendingPathComponent("state") }
        var runtimeDirectory: URL { work.url.appendingPathComponent("runtime") }
        static let object = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "streaming", name: "counter")

        init() throws {
            work = try TemporaryDirectory(prefix: "sluice-runtime-sync")
            let output = work.url.appendingPathComponent("output")
            let savepoints = work.url.appendingPathComponent("savepoints")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            repo = try SpecRepository(root: work.url.appendingPathComponent("specs"), jar: try FlinkSessionCluster.testJobJar(),
                                      output: output, savepoints: savepoints)
            counts = Counts(output: output)
            try repo.runtimeCluster("edge", stateDirectory: work.url.appendingPathComponent("runtime"))
        }

        func sync() async throws -> (Plan, SyncReport) {
            let options = SyncOptions(healthTimeout: .seconds(120), healthPollInterval: .milliseconds(500))
            let pipeline = Pipeline(stateDirectory: stateDirectory, runtimes: runtimes)
            let planned = try await pipeline.plan(DirectoryTree(path: repo.root.path), revision: "test", options: options)
            return (planned.plan, await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options))
        }

        var runtime: FlinkRuntime { get throws { try #require(runtimes.all.first) } }

        func status() async throws -> ClusterStatus? { await (try runtime).supervisor.status(of: "streaming.counter") }

        func jobManagerJVMs() -> Int {
            let out = (try? runProcess("/usr/bin/pgrep", ["-f", "-a", runtimeDirectory.path]).stdout) ?? ""
            return out.split(separator: "\n").filter { $0.contains("StandaloneSessionClusterEntrypoint") }.count
        }
    }

    static let isoDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func job(tag: String, taskManagerMemory: String = "1000m") -> SpecRepository.Job {
        var job = SpecRepository.Job()
        job.tag = tag
        job.jobManagerMemory = "768m"
        job.taskManagerMemory = taskManagerMemory
        return job
    }

    @Test("deploy, savepoint upgrade, TaskManager and JobManager crashes, oversized refusal, runtime restart adopts, API auth")
    func runtime() async throws {
        try await Self.inWorld(scenario)
    }

    /// Runs `scenario` in a fresh world, then stops every process it started, whether it passed or threw.
    static func inWorld(_ scenario: (World) async throws -> Void) async throws {
        let world = try World()
        do {
            try await scenario(world)
        } catch {
            await stopEverything(world)
            throw error
        }
        await stopEverything(world)
    }

    /// Stops every process under the test's runtime directory, whoever started it.
    static func stopEverything(_ world: World) async {
        for runtime in world.runtimes.all { await runtime.supervisor.shutdown(leaveRunning: true) }
        if let supervisor = try? FlinkSupervisor(configuration: RuntimeConfiguration(flinkHome: try FlinkInstallation.flinkHome(), stateDirectory: world.runtimeDirectory)) {
            await supervisor.shutdown(leaveRunning: false)
        }
    }

    func scenario(_ world: World) async throws {

        try world.repo.job(Self.job(tag: "v1"))
        var (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.create])
        #expect(report.succeeded, "\(report.clusters)")
        #expect(try await world.status()?.phase == .running)
        _ = try await world.counts.await(tag: "v1", atLeast: 20)

        // Savepoint upgrade on the runtime: counters continue.
        try world.repo.job(Self.job(tag: "v2"))
        (_, report) = try await world.sync()
        #expect(report.succeeded, "\(report.clusters)")
        let v1 = try #require(world.counts.counts(tag: "v1").max())
        let v2 = try await world.counts.await(tag: "v2")
        #expect(v2.min()! > v1, "v2 starts at \(v2.min()!), v1 had reached \(v1)")

        // kill -9 the TaskManager: the supervisor restarts it and Flink restores the job from its checkpoint.
        let taskManager = try #require(try await world.status()?.processes.first { $0.role == .taskManager }?.pid)
        kill(taskManager, SIGKILL)
        let tmBefore = try #require(world.counts.counts(tag: "v2").max())
        #expect(await eventually(timeout: .seconds(90)) {
            (try? await world.status()?.processes.first { $0.role == .taskManager }?.pid).flatMap { $0 } .map { $0 != taskManager } ?? false
        })
        _ = try await world.counts.await(tag: "v2", atLeast: tmBefore + 20, timeout: .seconds(120))

        // kill -9 the JobManager: restarted by the supervisor; the job (lost without HA) is
        // resubmitted by the runtime from the latest checkpoint it recorded.
        let jobManager = try #require(try await world.status()?.processes.first { $0.role == .jobManager }?.pid)
        let jmBefore = try #require(world.counts.counts(tag: "v2").max())
        kill(jobManager, SIGKILL)
        var recovered: [String] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while recovered.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            recovered = await (try world.runtime).recoverLostJobs()
        }
        #expect(!recovered.isEmpty, "the runtime did not resubmit the job after the JobManager crash")
        #expect(recovered.first?.contains("from file:") == true, "\(recovered)")
        // The resubmission is journalled, like every submission, under the revision the spec was applied at.
        let submits = try await (try world.runtime).journal.records(cluster: "edge", object: World.object.description).filter { $0.step == .submit }
        #expect(submits.count >= 4 && submits.allSatisfy { $0.revision == "test" }, "\(submits.map(\.revision))")
        // The resubmitted job runs and counts on from the checkpoint (a fresh start would count from 1).
        let recoveredURL = try #require(try await world.status()?.restURL)
        #expect(await eventually(timeout: .seconds(90)) {
            (try? await FlinkClient(baseURL: recoveredURL, http: HTTPClient()).jobs().contains { $0.state == .running }) == true
        })
        let linesAtRestart = world.counts.all().count
        let deadline2 = ContinuousClock.now + .seconds(90)
        while world.counts.all().count < linesAtRestart + 12, ContinuousClock.now < deadline2 { try await Task.sleep(for: .milliseconds(500)) }
        let after = world.counts.all().dropFirst(linesAtRestart).filter { $0.tag == "v2" && $0.key == 0 }.map(\.count)
        #expect(!after.isEmpty && after.min()! > 10, "after the JobManager crash key 0 counts \(after); it had reached \(jmBefore)")
        #expect(await eventually(timeout: .seconds(60)) { (try? await world.runtime.health(of: World.object).status) == .healthy })
        #expect(world.jobManagerJVMs() == 1)

        // A deployment that does not fit the host is refused; the running one is untouched.
        try world.repo.job(Self.job(tag: "v3", taskManagerMemory: "900000m"))
        (_, report) = try await world.sync()
        #expect(!report.succeeded)
        #expect(report.clusters.first?.message.contains("memory budget") == true, "\(report.clusters.map(\.message))")
        #expect(try await world.status()?.phase == .running)
        #expect(world.jobManagerJVMs() == 1)
        try world.repo.job(Self.job(tag: "v2"))

        // The runtime as a service on this host: bearer-token API; killed with SIGKILL and
        // restarted, it adopts the running processes (no second JobManager, no second job).
        for runtime in world.runtimes.all { await runtime.supervisor.shutdown(leaveRunning: true) }
        let token = "t0k3n-\(UUID().uuidString)"
        let tokenFile = try world.work.write("token", token)
        let port = try freePort()
        func serve() throws -> SpawnedProcess {
            let binary = ProcessInfo.processInfo.environment["SLUICE_BINARY"]
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice").path
            return try SpawnedProcess(binary, ["runtime", "serve", "--listen", "127.0.0.1:\(port)", "--token-file", tokenFile.path,
                                               "--runtime-dir", world.runtimeDirectory.path, "--cluster", "edge",
                                               "--state-dir", world.stateDirectory.path],
                                      env: [HostPathPolicy.environmentVariable: world.repo.allowedRoots.joined(separator: ":")],
                                      stderrPath: world.work.url.appendingPathComponent("runtime.log").path)
        }
        var server = try serve()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        #expect(await eventually(timeout: .seconds(30)) { isListening(port: UInt16(port)) })
        let anonymous = try await HTTPClient().send(HTTPRequest(.GET, base.appendingPathComponent("v1/objects")))
        #expect(anonymous.status == 401)
        let wrong = try await HTTPClient(configuration: .init(bearerToken: "wrong")).send(HTTPRequest(.GET, base.appendingPathComponent("v1/objects")))
        #expect(wrong.status == 401)
        #expect(!String(decoding: wrong.body, as: UTF8.self).contains(token))
        let specs = try SpecLoader().load(from: DirectoryTree(path: world.repo.root.path), path: "", revision: "test")
        let remote = RemoteRuntimeDriver(cluster: try #require(try Renderer().render(specs).clusters.first?.cluster), baseURL: base,
                                         http: HTTPClient(configuration: .init(bearerToken: token)))
        let live = try await remote.liveState(desired: [])
        #expect(live.map(\.identity) == [World.object])

        kill(server.pid, SIGKILL)
        _ = try? server.wait(timeout: 10)
        server = try serve()
        defer { server.stop() }
        #expect(await eventually(timeout: .seconds(30)) { isListening(port: UInt16(port)) })
        // Adopted processes report running once the JobManager has its TaskManager back.
        let adopted = await eventually(timeout: .seconds(60)) {
            (try? await remote.health(of: World.object).status) == .healthy
        }
        if !adopted {
            let processes = try? await HTTPClient(configuration: .init(bearerToken: token)).send(HTTPRequest(.GET, base.appendingPathComponent("v1/processes"))).body
            let log = (try? String(contentsOf: world.work.url.appendingPathComponent("runtime.log"), encoding: .utf8)) ?? ""
            let jmLog = (try? String(contentsOf: world.runtimeDirectory.appendingPathComponent("clusters/streaming.counter/log"), encoding: .utf8)) ?? ""
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: world.runtimeDirectory.appendingPathComponent("clusters/streaming.counter/log").path)) ?? []
            var flinkLog = ""
            for file in logs where file.contains("standalonesession") && file.hasSuffix(".log") {
                let text = (try? String(contentsOf: world.runtimeDirectory.appendingPathComponent("clusters/streaming.counter/log/\(file)"), encoding: .utf8)) ?? ""
                flinkLog += text.split(separator: "\n").filter { $0.contains("ERROR") || $0.contains("Exception") || $0.contains("switched from") || $0.contains("Submitting") || $0.contains("Received JobGraph") }.suffix(40).joined(separator: "\n")
            }
            Issue.record("the adopted deployment never became healthy; runtime log:\n\(log)\nprocesses: \(String(decoding: processes ?? Data(), as: UTF8.self))\n\(jmLog)\nlogs: \(logs)\n\(flinkLog)")
        }
        #expect(world.jobManagerJVMs() == 1, "the restarted runtime adopted the JobManager instead of starting another")
        let processes = try await HTTPClient(configuration: .init(bearerToken: token)).send(HTTPRequest(.GET, base.appendingPathComponent("v1/processes")))
            .decode([ClusterStatus].self, decoder: Self.isoDecoder)
        let restURL = try #require(processes.first?.restURL)
        let running = try await FlinkClient(baseURL: restURL, http: HTTPClient()).jobs().filter { !$0.state.isTerminal }
        #expect(running.count == 1, "never two jobs for one deployment: \(running.map(\.id))")

        // Stop everything through a runtime on the same directory, as `sluice runtime down` does.
        server.stop()
        await Self.stopEverything(world)
        #expect(world.jobManagerJVMs() == 0)
    }
}
}

extension RealFlink {
@Suite("Session mode on the bundled runtime")
struct RuntimeSessionTests {
    @Test("a session FlinkDeployment runs a session cluster; a FlinkSessionJob is submitted to it")
    func session() async throws {
        try await RuntimeSyncTests.inWorld { world in
            try world.repo.write("jobs/session.yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: shared, labels: {app.kubernetes.io/part-of: sluice-tests}}
                spec:
                  flinkVersion: v2_0
                  jobManager: {resource: {memory: 768m}}
                  taskManager: {replicas: 1, resource: {memory: 1000m}}
                  flinkConfiguration: {taskmanager.numberOfTaskSlots: "2"}
                """)
            try world.repo.write("jobs/counter.yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkSessionJob
                metadata: {name: counter, labels: {app.kubernetes.io/part-of: sluice-tests}}
                spec:
                  deploymentName: shared
                  job:
                    jarURI: \(world.repo.jar.absoluteString)
                    entryClass: dev.sluice.testjob.CountingJob
                    args: ["--output", "\(world.repo.output.path)", "--tag", "session"]
                    parallelism: 1
                    upgradeMode: stateless
                """)
            let (plan, report) = try await world.sync()
            #expect(Set(plan.clusters.first?.changes.map(\.identity.kind) ?? []) == ["FlinkDeployment", "FlinkSessionJob"])
            #expect(report.succeeded, "\(report.clusters.map(\.message))")
            _ = try await world.counts.await(tag: "session")
            let status = try #require(await (try world.runtime).supervisor.status(of: "streaming.shared"))
            #expect(status.phase == .running)
            let jobs = try await FlinkClient(baseURL: try #require(status.restURL), http: HTTPClient()).jobs().filter { $0.state == .running }
            #expect(jobs.count == 1, "the session job runs in the session cluster")
        }
    }
}
}
