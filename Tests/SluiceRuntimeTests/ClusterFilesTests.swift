import Foundation
@testable import SluiceRuntime
import Testing

@Suite("Cluster files")
struct ClusterFilesTests {
    private let directory = ClusterDirectory(root: URL(fileURLWithPath: "/var/lib/sluice/clusters/shop.orders", isDirectory: true))

    @Test("config.yaml: runtime defaults < spec flinkConfiguration < ports, addresses and sizes the runtime owns")
    func settingsPrecedence() {
        var configuration = RuntimeConfiguration(flinkHome: URL(fileURLWithPath: "/opt/flink"), stateDirectory: URL(fileURLWithPath: "/var/lib/sluice"))
        configuration.bindAddress = "0.0.0.0"
        let plan = FlinkProcessPlan(name: "shop.orders", jobManagerMemoryMiB: 1024, taskManagerMemoryMiB: 2048, taskManagers: 2, taskSlots: 3,
                                    flinkConfiguration: ["execution.checkpointing.dir": "s3://bucket/cp", "rest.port": "8081",
                                                         "taskmanager.numberOfTaskSlots": "3", "heartbeat.timeout": "30000"])
        let settings = directory.settings(plan: plan, restPort: 40001, rpcPort: 40002, configuration: configuration)
        #expect(settings["execution.checkpointing.dir"] == "s3://bucket/cp")
        #expect(settings["execution.checkpointing.savepoint-dir"] == "file:///var/lib/sluice/clusters/shop.orders/state/savepoints")
        #expect(settings["heartbeat.timeout"] == "30000")
        #expect(settings["rest.port"] == "40001")
        #expect(settings["jobmanager.rpc.port"] == "40002")
        #expect(settings["rest.bind-address"] == "0.0.0.0")
        #expect(settings["jobmanager.rpc.address"] == "127.0.0.1")
        #expect(settings["taskmanager.memory.process.size"] == "2048m")
        #expect(settings["taskmanager.numberOfTaskSlots"] == "3")

        let yaml = ClusterDirectory.configYAML(original: "# comment\nenv:\n  java:\n    opts: -Dx=1\nrest:\n  port: 8081\n",
                                               settings: ["a.b": "it's", "rest.port": "40001"])
        #expect(yaml == "env:\n  java:\n    opts: -Dx=1\na.b: 'it''s'\nrest.port: '40001'\n")
    }

    @Test("state.json round trip, written by rename")
    func stateRoundTrip() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("state.json")
        #expect(try ClusterState.load(file) == nil)
        var state = ClusterState(plan: FlinkProcessPlan(name: "a.b", jobManagerMemoryMiB: 700, taskManagerMemoryMiB: 1000),
                                 restPort: 1, rpcPort: 2,
                                 processes: [ProcessRecord(key: .jobManager, pid: 42, startTime: 7, startedAt: Date(timeIntervalSince1970: 1000))],
                                 latestCheckpoint: "file:/cp/chk-3", jobID: "abc")
        state.exits = [ExitRecord(key: ProcessKey(role: .taskManager, index: 2), date: Date(timeIntervalSince1970: 2000), status: "exit status 1")]
        try state.save(file)
        let loaded = try #require(try ClusterState.load(file))
        #expect(loaded.processes == state.processes)
        #expect(loaded.exits == state.exits)
        #expect(loaded.latestCheckpoint == "file:/cp/chk-3")
        #expect(loaded.plan == state.plan)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["state.json"], "no temporary file left")

        try "{not json".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: RuntimeError.self) { try ClusterState.load(file) }
    }
}
