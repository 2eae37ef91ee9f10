import Foundation
import SluiceRuntime
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real JobManagers and TaskManagers on 127.0.0.1. One at a time: the machine has 2 cores.
extension RealFlink {
@Suite("FlinkSupervisor with real Flink processes")
struct FlinkSupervisorTests {
    @Test("start, follow checkpoints, kill -9 a TaskManager and the JobManager, stop leaves no process")
    func lifecycle() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-runtime")
        let supervisor = try FlinkSupervisor(configuration: RuntimeTests.configuration(state: state.url))
        let plan = RuntimeTests.plan("test.lifecycle", taskManagers: 2)
        let clusterDirectory = state.url.appendingPathComponent("clusters/test.lifecycle")

        let endpoint = try await supervisor.ensureRunning(plan, startupTimeout: .seconds(120))
        #expect(RuntimeTests.overview(endpoint.restURL)?["taskmanagers"] as? Int == 2)
        let started = try #require(await supervisor.status(of: plan.name))
        #expect(started.phase == .running)
        #expect(Set(started.processes.compactMap(\.pid)).count == 3)
        #expect(started.memoryMiB == 700 + 2 * 1000)
        #expect(FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("conf/config.yaml").path))
        #expect(FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("log/taskmanager-2.log").path))
        // conf/config.yaml carries the plan, the chosen ports and the spec's keys.
        let config = try String(contentsOf: clusterDirectory.appendingPathComponent("conf/config.yaml"), encoding: .utf8)
        for line in ["rest.port: '\(endpoint.restPort)'", "jobmanager.rpc.port: '\(endpoint.rpcPort)'",
                     "jobmanager.memory.process.size: '700m'", "taskmanager.memory.process.size: '1000m'",
                     "taskmanager.memory.managed.size: '64m'", "rest.bind-address: '127.0.0.1'"] {
            #expect(config.contains(line), "\(line)")
        }
        // Flink's own log goes to the deployment's log/ and rolls at logMaxBytes.
        let logs = try FileManager.default.contentsOfDirectory(atPath: clusterDirectory.appendingPathComponent("log").path)
        #expect(logs.contains { $0.hasPrefix("flink-sluice-jobmanager-1-standalonesession") && $0.hasSuffix(".log") }, "\(logs)")
        let log4j = try String(contentsOf: clusterDirectory.appendingPathComponent("conf/log4j-console.properties"), encoding: .utf8)
        #expect(log4j.contains("appender.rolling.policies.size.size = \(10 << 20)"))

        // A job, so the runtime has checkpoints to record.
        let rest = FlinkREST(baseURL: endpoint.restURL)
        let jobID = FlinkREST.newID()
        let output = state.url.appendingPathComponent("job-output")
        try rest.runJar(try rest.uploadJar(try FlinkInstallation.testJobJar()), jobID: jobID,
                        arguments: ["--output", output.path, "--rate", "20"])
        await supervisor.recordJob(name: plan.name, jobID: jobID)
        let sawCheckpoint = await eventually(timeout: .seconds(60)) {
            await supervisor.latestCheckpoint(of: plan.name) != nil
        }
        #expect(sawCheckpoint)
        let checkpoint = await supervisor.latestCheckpoint(of: plan.name)
        #expect(checkpoint?.contains(clusterDirectory.appendingPathComponent("state/checkpoints").path) == true)
        let stateFile = try String(contentsOf: clusterDirectory.appendingPathComponent("state.json"), encoding: .utf8)
        #expect(stateFile.contains(jobID))

        // kill -9 TaskManager 2: a new process replaces it and registers.
        let taskManager = try #require(RuntimeTests.pid(started, .taskManager, 2))
        kill(taskManager, SIGKILL)
        let taskManagerBack = await eventually(timeout: .seconds(90)) {
            let status = await supervisor.status(of: plan.name)
            return status?.restartCount == 1 && status?.phase == .running
                && RuntimeTests.pid(status, .taskManager, 2).map { $0 != taskManager } == true
        }
        let afterTaskManager = await supervisor.status(of: plan.name)
        #expect(taskManagerBack, "\(String(describing: afterTaskManager))")

        // kill -9 the JobManager: restarted on the same REST port; the TaskManagers register again.
        let jobManager = try #require(RuntimeTests.pid(started, .jobManager))
        kill(jobManager, SIGKILL)
        let sawRestarting = await eventually(timeout: .seconds(10)) {
            let phase = await supervisor.status(of: plan.name)?.phase
            return phase == .restarting
        }
        #expect(sawRestarting)
        #expect(await supervisor.status(of: plan.name)?.reason?.contains("JobManager exited") == true)
        let jobManagerBack = await eventually(timeout: .seconds(120)) {
            let status = await supervisor.status(of: plan.name)
            return status?.restartCount == 2 && status?.phase == .running
        }
        let afterRestart = await supervisor.status(of: plan.name)
        #expect(jobManagerBack, "\(String(describing: afterRestart))")
        #expect(afterRestart?.restURL == endpoint.restURL)
        #expect(RuntimeTests.pid(afterRestart, .jobManager) != jobManager)
        #expect(RuntimeTests.overview(endpoint.restURL)?["taskmanagers"] as? Int == 2)
        // The checkpoint record outlives the JobManager, for the driver's resubmission.
        #expect(await supervisor.latestCheckpoint(of: plan.name) != nil)

        await supervisor.shutdown(leaveRunning: false)
        #expect(RuntimeTests.processes(mentioning: clusterDirectory).isEmpty)
    }

    @Test("a JobManager that exits at once is restarted with backoff, then the deployment is degraded")
    func degraded() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-runtime")
        let supervisor = try FlinkSupervisor(configuration: RuntimeTests.configuration(state: state.url))
        // A JVM overhead minimum above the process size: Flink's memory calculation refuses it at startup.
        let plan = RuntimeTests.plan("test.broken", extra: ["jobmanager.memory.jvm-overhead.min": "5000m",
                                                            "jobmanager.memory.jvm-overhead.max": "6000m"])
        let started = ContinuousClock.now
        let error = await #expect(throws: RuntimeError.self) {
            _ = try await supervisor.ensureRunning(plan, startupTimeout: .seconds(120))
        }
        #expect(error?.kind == .degraded)
        // 1 start + 3 restarts with 0.3, 0.6, 1.2 s backoff; a busy loop would be done in far less, a
        // missing limit would never end.
        #expect(ContinuousClock.now - started > .seconds(2))
        let status = try #require(await supervisor.status(of: plan.name))
        #expect(status.phase == .degraded)
        #expect(status.restartCount == 3)
        let reason = status.reason ?? ""
        #expect(reason.contains("JobManager exited 4 times"), "\(reason)")
        #expect(reason.contains("jobmanager-1.log"))
        #expect(reason.contains("last exit status"), "\(reason)")
        // No more restarts once degraded.
        try await Task.sleep(for: .seconds(3))
        #expect(await supervisor.status(of: plan.name)?.restartCount == 3)
        await supervisor.shutdown(leaveRunning: false)
        #expect(RuntimeTests.processes(mentioning: state.url).isEmpty)
    }

    @Test("a runtime restart adopts the running processes (no second JobManager); stop ends them all")
    func adoption() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-runtime")
        let configuration = try RuntimeTests.configuration(state: state.url)
        let plan = RuntimeTests.plan("test.adopt")
        let clusterDirectory = state.url.appendingPathComponent("clusters/test.adopt")

        let first = try FlinkSupervisor(configuration: configuration)
        let endpoint = try await first.ensureRunning(plan, startupTimeout: .seconds(120))
        let before = try #require(await first.status(of: plan.name))
        await first.shutdown(leaveRunning: true)
        #expect(RuntimeTests.jobManagerJVMs(mentioning: clusterDirectory) == 1)
        await #expect(throws: RuntimeError.self) { _ = try await first.ensureRunning(plan, startupTimeout: .seconds(5)) }
        // The TaskManager dies while no runtime runs: the next one restarts it and adopts the JobManager.
        let taskManager = try #require(RuntimeTests.pid(before, .taskManager))
        kill(taskManager, SIGKILL)
        // Not adopted as alive while its threads are still being torn down (a loaded run once caught it so).
        #expect(await eventually(timeout: .seconds(30)) { RuntimeTests.hasExited(taskManager) }, "the killed TaskManager \(taskManager) did not exit")

        let second = try FlinkSupervisor(configuration: configuration)
        let adoptedEndpoint = try await second.ensureRunning(plan, startupTimeout: .seconds(60))
        let after = try #require(await second.status(of: plan.name))
        #expect(adoptedEndpoint == endpoint)
        #expect(RuntimeTests.pid(after, .jobManager) == RuntimeTests.pid(before, .jobManager))
        #expect(RuntimeTests.pid(after, .taskManager) != taskManager)
        #expect(after.restartCount == 1)
        #expect(after.phase == .running)
        #expect(RuntimeTests.jobManagerJVMs(mentioning: clusterDirectory) == 1)

        await second.stop(plan.name)
        #expect(await second.status(of: plan.name)?.phase == .stopped)
        #expect(RuntimeTests.processes(mentioning: clusterDirectory).isEmpty)
        await second.shutdown(leaveRunning: false)

        // A stopped deployment stays stopped for the next runtime.
        let third = try FlinkSupervisor(configuration: configuration)
        #expect(await third.status(of: plan.name)?.phase == .stopped)
        await third.shutdown(leaveRunning: false)
    }
}

}

@Suite("FlinkSupervisor memory budget")
struct MemoryBudgetTests {
    @Test("a plan over the memory budget is refused and nothing starts")
    func oversized() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-runtime")
        var configuration = RuntimeConfiguration(flinkHome: state.url.appendingPathComponent("no-flink"), stateDirectory: state.url)
        configuration.memoryBudgetMiB = 2000
        let supervisor = try FlinkSupervisor(configuration: configuration)
        let plan = FlinkProcessPlan(name: "test.big", jobManagerMemoryMiB: 1024, taskManagerMemoryMiB: 1024, taskManagers: 2)
        let error = await #expect(throws: RuntimeError.self) {
            _ = try await supervisor.ensureRunning(plan, startupTimeout: .seconds(5))
        }
        #expect(error?.kind == .memoryBudget)
        #expect(error?.message.contains("3072 MiB") == true)
        #expect(error?.message.contains("2000 MiB") == true)
        #expect(error?.hint?.contains("replicas") == true)
        #expect(await supervisor.status(of: plan.name) == nil)
        #expect(!FileManager.default.fileExists(atPath: state.url.appendingPathComponent("clusters/test.big").path))
        await supervisor.shutdown(leaveRunning: false)
    }
}
