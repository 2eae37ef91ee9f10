import Foundation
import SluiceRuntime
import SluiceYAML
import Testing

@Suite("FlinkProcessPlan")
struct FlinkProcessPlanTests {
    private func plan(_ yaml: String) throws -> FlinkProcessPlan {
        try FlinkProcessPlan.from(deployment: YAML.parseDocument(yaml, file: "jobs/orders.yaml"))
    }

    @Test("memory units: Flink's binary units and Kubernetes' Mi/Gi")
    func memoryUnits() throws {
        let cases: [(String, Int)] = [("2048m", 2048), ("2g", 2048), ("1536Mi", 1536), ("1Gi", 1024), ("1.5g", 1536),
                                      ("512mb", 512), ("1048576Ki", 1024), ("\"1073741824\"", 1024), ("2G", 2048)]
        for (memory, expected) in cases {
            let parsed = try plan("""
                metadata: {name: orders, namespace: shop}
                spec:
                  jobManager: {resource: {memory: \(memory)}}
                  taskManager: {resource: {memory: "1000m"}}
                """)
            #expect(parsed.jobManagerMemoryMiB == expected, "\(memory)")
        }
    }

    @Test("a full spec: replicas, slots, configuration flattened, total memory")
    func fullSpec() throws {
        let parsed = try plan("""
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders, namespace: shop}
            spec:
              flinkConfiguration:
                taskmanager.numberOfTaskSlots: "4"
                execution.checkpointing.interval: 5s
                state:
                  backend.type: rocksdb
                pipeline.auto-watermark-interval: 200
              jobManager: {resource: {memory: "2048m", cpu: 1}}
              taskManager: {replicas: 3, resource: {memory: "1Gi"}}
            """)
        #expect(parsed.name == "shop.orders")
        #expect(parsed.taskManagers == 3)
        #expect(parsed.taskSlots == 4)
        #expect(parsed.flinkConfiguration["state.backend.type"] == "rocksdb")
        #expect(parsed.flinkConfiguration["pipeline.auto-watermark-interval"] == "200")
        #expect(parsed.totalMemoryMiB == 2048 + 3 * 1024)
    }

    @Test("defaults: namespace default, one TaskManager, one slot, Flink's process sizes or the configured ones")
    func defaults() throws {
        let bare = try plan("metadata: {name: tiny}\nspec: {job: {jarURI: local:///x.jar}}")
        #expect(bare.name == "default.tiny")
        #expect(bare.taskManagers == 1)
        #expect(bare.taskSlots == 1)
        #expect(bare.jobManagerMemoryMiB == 1600)
        #expect(bare.taskManagerMemoryMiB == 1728)
        let configured = try plan("""
            metadata: {name: tiny}
            spec:
              flinkConfiguration: {taskmanager.memory.process.size: 3g, taskmanager.numberOfTaskSlots: "2"}
              job: {parallelism: 5}
            """)
        #expect(configured.taskManagerMemoryMiB == 3072)
        // The operator's rule: enough TaskManagers for the job's parallelism.
        #expect(configured.taskManagers == 3)
    }

    @Test("errors name the field path and the line")
    func errors() throws {
        let badMemory = #expect(throws: RuntimeError.self) {
            try plan("metadata: {name: orders}\nspec:\n  jobManager:\n    resource: {memory: lots}\n")
        }
        #expect(badMemory?.message.contains("spec.jobManager.resource.memory") == true)
        #expect(badMemory?.location?.line == 4)
        #expect(badMemory?.location?.file == "jobs/orders.yaml")

        let badReplicas = #expect(throws: RuntimeError.self) {
            try plan("metadata: {name: orders}\nspec:\n  taskManager: {replicas: 0}\n")
        }
        #expect(badReplicas?.message.contains("spec.taskManager.replicas") == true)

        let badSlots = #expect(throws: RuntimeError.self) {
            try plan("metadata: {name: orders}\nspec:\n  flinkConfiguration: {taskmanager.numberOfTaskSlots: many}\n")
        }
        #expect(badSlots?.message.contains("taskmanager.numberOfTaskSlots") == true)

        let noName = #expect(throws: RuntimeError.self) { try plan("spec: {}") }
        #expect(noName?.message.contains("metadata.name") == true)

        let noSpec = #expect(throws: RuntimeError.self) { try plan("metadata: {name: orders}") }
        #expect(noSpec?.message.contains("spec") == true)

        let badName = #expect(throws: RuntimeError.self) { try plan("metadata: {name: \"../etc\"}\nspec: {}") }
        #expect(badName?.kind == .invalidPlan)
    }

    @Test("the default memory budget is 80% of MemTotal")
    func memoryBudget() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-meminfo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "MemTotal:       10240000 kB\nMemFree:  1 kB\n".write(to: directory, atomically: true, encoding: .utf8)
        #expect(RuntimeConfiguration.defaultMemoryBudgetMiB(meminfo: directory.path) == 10000 * 8 / 10)
        #expect(RuntimeConfiguration.defaultMemoryBudgetMiB() > 0)
    }
}
