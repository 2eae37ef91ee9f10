import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceRuntime
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A FlinkBlueGreenDeployment on the bundled runtime: planned from its child spec
/// (`spec.template.spec`), and no path in that template may make the runtime touch a host folder
/// outside the allowed roots.
@Suite("FlinkBlueGreenDeployment on the runtime: plan and host paths")
struct RuntimeBlueGreenPlanTests {
    static let identity = ObjectIdentity(group: "flink.apache.org", kind: "FlinkBlueGreenDeployment", namespace: "shop", name: "orders")

    static func blueGreen(configuration: String = "", job: String = "", replicas: String = "",
                          jarURI: String = "local:///opt/flink/examples/streaming/StateMachineExample.jar") throws -> Value {
        try YAML.parseDocument("""
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata: {name: orders, namespace: shop}
            spec:
              template:
                spec:
                  flinkVersion: v2_0
                  jobManager: {resource: {memory: "768m"}}
                  taskManager: {\(replicas)resource: {memory: "1000m"}}
                  flinkConfiguration:
                    taskmanager.numberOfTaskSlots: "2"
            \(configuration)
                  job:
                    jarURI: \(jarURI)
                    parallelism: 3
                    upgradeMode: savepoint
            \(job)
            """, file: "jobs/orders.yaml")
    }

    @Test("the plan comes from spec.template.spec, with TaskManager slots for blue and green side by side")
    func planFromTemplate() throws {
        let plan = try FlinkProcessPlan.from(deployment: Self.blueGreen())
        #expect(plan.jobManagerMemoryMiB == 768 && plan.taskManagerMemoryMiB == 1000 && plan.taskSlots == 2)
        // Parallelism 3 at 2 slots needs 2 TaskManagers for one job; two jobs (6 slots) need 3.
        #expect(plan.taskManagers == 3)
        // Explicit replicas are per job: doubled.
        #expect(try FlinkProcessPlan.from(deployment: Self.blueGreen(replicas: "replicas: 2, ")).taskManagers == 4)

        let bad = try YAML.parseDocument("""
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata: {name: orders}
            spec: {template: {spec: {taskManager: {resource: {memory: lots}}}}}
            """, file: "jobs/orders.yaml")
        let error = #expect(throws: RuntimeError.self) { try FlinkProcessPlan.from(deployment: bad) }
        #expect(error?.message.contains("spec.template.spec.taskManager.resource.memory") == true, "\(String(describing: error))")
        let missing = try YAML.parseDocument("{apiVersion: flink.apache.org/v1beta1, kind: FlinkBlueGreenDeployment, metadata: {name: orders}, spec: {}}")
        #expect(throws: RuntimeError.self) { try FlinkProcessPlan.from(deployment: missing) }
    }

    @Test("savepoint and checkpoint folders, initialSavepointPath and jarURI in the template outside the allowed roots are refused before anything starts")
    func hostPathsInTemplate() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-runtime-bluegreen-paths")
        let state = work.url.appendingPathComponent("runtime")
        let configuration = RuntimeConfiguration(flinkHome: work.url.appendingPathComponent("no-flink"), stateDirectory: state)
        let runtime = try FlinkRuntime(cluster: "edge", configuration: configuration,
                                       journal: try Journal(directory: work.url.appendingPathComponent("journal")))
        let forbidden = "/etc/sluice-forbidden-\(UUID().uuidString.prefix(8))"
        let cases: [(field: String, desired: Value)] = [
            ("spec.template.spec.flinkConfiguration.execution.checkpointing.savepoint-dir",
             try Self.blueGreen(configuration: "        execution.checkpointing.savepoint-dir: file://\(forbidden)")),
            ("spec.template.spec.flinkConfiguration.state.checkpoints.dir",
             try Self.blueGreen(configuration: "        state.checkpoints.dir: \(forbidden)")),
            // Nested as newer operators allow: flattened before the check, as for config.yaml.
            ("spec.template.spec.flinkConfiguration.execution.checkpointing.dir",
             try Self.blueGreen(configuration: "        execution: {checkpointing: {dir: \"file://\(forbidden)\"}}")),
            ("spec.template.spec.job.initialSavepointPath",
             try Self.blueGreen(job: "        initialSavepointPath: file://\(forbidden)/savepoint-1")),
        ]
        for (field, desired) in cases {
            #expect(!HostPathPolicy.shared.allowedRoots.contains { forbidden.hasPrefix($0) })
            let change = try #require(JobChange(.create, identity: Self.identity, desired: desired, specHash: "h1", revision: "r1", live: nil))
            let error = await #expect(throws: FlinkError.self, "\(field)") { _ = try await runtime.apply(change) }
            #expect(error?.message.contains(field) == true, "\(String(describing: error))")
            #expect(error?.message.contains(forbidden) == true, "\(String(describing: error))")
        }
        // A jar named by its host path: checked with the rest, before any process starts.
        let jar = try Self.blueGreen(jarURI: "file://\(forbidden)/job.jar")
        let change = try #require(JobChange(.create, identity: Self.identity, desired: jar, specHash: "h1", revision: "r1", live: nil))
        let error = await #expect(throws: FlinkError.self) { _ = try await runtime.apply(change) }
        #expect(error?.message.contains("spec.template.spec.job.jarURI") == true, "\(String(describing: error))")
        // Nothing was started and nothing recorded.
        #expect(await runtime.supervisor.status().isEmpty)
        #expect(try await runtime.liveState().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: forbidden))
        await runtime.supervisor.shutdown(leaveRunning: false)
    }
}

extension RealFlink {
/// A FlinkBlueGreenDeployment on the runtime with real Flink 2.3 processes: blue is savepointed
/// while it runs, green starts from that savepoint beside it on the same JobManager, blue is
/// cancelled only once green is healthy, and a green that fails leaves blue running
/// (flink-kubernetes-operator, BlueGreenDeploymentService; docs/runtime.md).
@Suite("Blue/green transitions on the bundled runtime")
struct RuntimeBlueGreenTests {
    static let object = ObjectIdentity(group: "flink.apache.org", kind: "FlinkBlueGreenDeployment", namespace: "streaming", name: "counter")
    static let processes = "streaming.counter_bluegreen"

    static func write(_ repo: SpecRepository, tag: String, entryClass: String = "dev.sluice.testjob.CountingJob") throws {
        try repo.write("jobs/counter.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata:
              name: counter
              labels:
                app.kubernetes.io/part-of: sluice-tests
            spec:
              template:
                spec:
                  flinkVersion: v2_0
                  jobManager: {resource: {memory: 768m}}
                  taskManager: {resource: {memory: 1000m}}
                  flinkConfiguration:
                    taskmanager.numberOfTaskSlots: "1"
                    taskmanager.memory.managed.size: 64m
                    execution.checkpointing.interval: 1s
                    execution.checkpointing.savepoint-dir: \(repo.savepoints.absoluteString)
                  job:
                    jarURI: \(repo.jar.absoluteString)
                    entryClass: \(entryClass)
                    args: ["--keys", "4", "--rate", "40", "--output", "\(repo.output.path)", "--tag", "\(tag)"]
                    parallelism: 1
                    upgradeMode: savepoint
            """)
    }

    @Test("blue savepointed while running, green continues its state on the same JobManager, blue cancelled once green is healthy; a failing green leaves blue running")
    func transition() async throws {
        try await RuntimeSyncTests.inWorld(scenario)
    }

    func scenario(_ world: RuntimeSyncTests.World) async throws {
        try Self.write(world.repo, tag: "v1")
        var (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.create])
        #expect(report.succeeded, "\(report.clusters)")
        let runtime = try world.runtime
        let status = try #require(await runtime.supervisor.status(of: Self.processes))
        #expect(status.phase == .running)
        // One job at one slot per TaskManager: two TaskManagers, so green fits beside blue.
        #expect(status.processes.filter { $0.role == .taskManager }.count == 2)
        let url = try #require(status.restURL)
        let jobManager = try #require(status.processes.first { $0.role == .jobManager }?.pid)
        let client = FlinkClient(baseURL: url, http: HTTPClient())
        _ = try await world.counts.await(tag: "v1", atLeast: 30)
        let blue = try #require(try await client.jobs().first { !$0.state.isTerminal })

        // New program arguments: a blue/green transition.
        try Self.write(world.repo, tag: "v2")
        let before = try #require(world.counts.counts(tag: "v1").max())
        (plan, report) = try await world.sync()
        let planned = try #require(plan.clusters.first?.changes.first)
        #expect(planned.kind == .upgrade && planned.blueGreenChange == .transition, "\(planned.kind): \(planned.reason)")
        let applied = try #require(report.clusters.first?.actions.first)
        #expect(applied.succeeded, "\(applied.message)")
        #expect(applied.message.contains("blue/green: green job"), "\(applied.message)")
        #expect(report.succeeded, "\(report.clusters)")
        let savepoint = try #require(applied.savepointPath)
        #expect(StateLocator.isComplete(savepoint) == true, "\(savepoint)")
        // Blue was cancelled (not stopped with a savepoint), green is a new job on the same JobManager.
        let after = try await client.jobs()
        let green = try #require(after.first { !$0.state.isTerminal })
        #expect(green.id != blue.id)
        #expect(after.filter { !$0.state.isTerminal }.count == 1)
        #expect(after.first { $0.id == blue.id }?.state == .canceled)
        #expect(await runtime.supervisor.status(of: Self.processes)?.processes.first { $0.role == .jobManager }?.pid == jobManager)
        #expect(await runtime.supervisor.status(of: Self.processes)?.jobID == green.id)
        // Keyed state continued from blue's savepoint.
        let resumed = try await world.counts.await(tag: "v2")
        #expect(resumed.min()! > before - 20, "green starts counting at \(resumed.min()!), but blue had reached \(before)")
        #expect(await eventually(timeout: .seconds(60)) { (try? await runtime.health(of: Self.object).status) == .healthy })

        // A green that cannot start: rolled back, blue (the v2 job) keeps running.
        try Self.write(world.repo, tag: "v3", entryClass: "dev.sluice.testjob.NoSuchJob")
        let countsBefore = try #require(world.counts.counts(tag: "v2").max())
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.blueGreenChange == .transition)
        let failed = try #require(report.clusters.first?.actions.first)
        #expect(!failed.succeeded)
        #expect(failed.message.contains("rolled back") && failed.message.contains("blue job \(green.id) keeps running"), "\(failed.message)")
        #expect(try await client.jobs().filter { !$0.state.isTerminal }.map(\.id) == [green.id])
        _ = try await world.counts.await(tag: "v2", atLeast: countsBefore + 10)
        #expect(world.counts.counts(tag: "v3").isEmpty)
        // Nothing was recorded as applied: the runtime still holds the v2 spec.
        let recorded = try await runtime.liveState().first { $0.identity == Self.object }?.value
        let args = recorded?[path: "spec", "template", "spec", "job", "args"]?.listValue?.compactMap(\.stringValue) ?? []
        #expect(args.contains("v2") && !args.contains("v3"), "\(args)")

        // kill -9 the JobManager: the supervisor restarts it, and crash recovery resubmits the
        // blue/green deployment's lost job from its latest checkpoint.
        let reached = try #require(world.counts.counts(tag: "v2").max())
        kill(jobManager, SIGKILL)
        var recovered: [String] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while recovered.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            recovered = await runtime.recoverLostJobs()
        }
        #expect(recovered.first?.contains(Self.object.description) == true && recovered.first?.contains("from file:") == true, "\(recovered)")
        let linesAtRestart = world.counts.all().count
        let countDeadline = ContinuousClock.now + .seconds(90)
        while world.counts.all().count < linesAtRestart + 12, ContinuousClock.now < countDeadline { try await Task.sleep(for: .milliseconds(500)) }
        let continued = world.counts.all().dropFirst(linesAtRestart).filter { $0.tag == "v2" && $0.key == 0 }.map(\.count)
        #expect(!continued.isEmpty && continued.min()! > reached - 60, "after the JobManager crash key 0 counts \(continued); it had reached \(reached)")
    }
}
}
