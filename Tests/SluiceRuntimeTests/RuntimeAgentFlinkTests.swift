import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceRuntime
import SluiceSpec
import SluiceTestSupport
import SluiceYAML
import Testing

extension RealFlink {
/// The agent opens libcurl on its first request to Flink's REST API (docs/runtime.md, "Idle memory").
@Suite("runtime agent with Flink")
struct RuntimeAgentFlinkTests {
    static let identity = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "edge", name: "lazy")

    /// A session cluster, no job: the cheapest deployment whose start the agent checks over HTTP
    /// (it returns once the JobManager's /taskmanagers lists the TaskManager).
    static let deployment: Value = [
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": ["name": "lazy", "namespace": "edge"],
        "spec": [
            "flinkVersion": "v2_0",
            "jobManager": ["resource": ["memory": "768m"]],
            "taskManager": ["replicas": 1, "resource": ["memory": "1000m"]],
            "flinkConfiguration": ["taskmanager.numberOfTaskSlots": "1", "taskmanager.memory.managed.size": "64m"],
        ],
    ]

    @Test("idle, the agent maps no libcurl; deploying makes its first HTTP requests to Flink, which load libcurl and work")
    func libcurlLoadsOnFirstRequest() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-agent-flink")
        let runtimeDirectory = work.url.appendingPathComponent("runtime")
        let served = try await RuntimeAgentTests.serve(
            RuntimeAgentTests.productsDirectory.appendingPathComponent("sluice-runtime").path, [], in: work,
            env: ["FLINK_HOME": try FlinkInstallation.flinkHome().path], trailing: ["--runtime-dir", runtimeDirectory.path])
        defer {
            served.process.stop()
            Self.stopClusters(runtimeDirectory)
        }
        let base = URL(string: "http://127.0.0.1:\(served.port)")!
        let api = HTTPClient(configuration: .init(bearerToken: served.token, timeout: .seconds(300), retry: .none))

        let idle = try #require(ProcessMaps.mappedNames(of: served.process.pid))
        #expect(RuntimeAgentTests.httpLibraries(idle).isEmpty, "the idle agent maps \(RuntimeAgentTests.httpLibraries(idle))")

        let create = try #require(JobChange(.create, identity: Self.identity, desired: Self.deployment, specHash: "h1", revision: "r1", live: nil))
        let applied = try await api.send(HTTPRequest(.POST, base.appendingPathComponent("v1/apply"),
                                                     body: .json(try JSONEncoder().encode(RuntimeWire.ApplyRequest(create)))))
        #expect(applied.status == 200, "\(String(decoding: applied.body, as: UTF8.self))")
        let processes = try await api.send(HTTPRequest(.GET, base.appendingPathComponent("v1/processes")))
            .requireSuccess().decode([ClusterStatus].self, decoder: RuntimeSyncTests.isoDecoder)
        #expect(processes.first?.phase == .running, "\(processes)")

        let afterRequests = try #require(ProcessMaps.mappedNames(of: served.process.pid))
        #expect(afterRequests.contains { $0.hasPrefix("libcurl.so.4") }, "the agent made HTTP requests to Flink through libcurl")

        let delete = try #require(JobChange(.delete, identity: Self.identity, desired: nil, specHash: nil, revision: nil, live: Self.deployment))
        let deleted = try await api.send(HTTPRequest(.POST, base.appendingPathComponent("v1/apply"),
                                                     body: .json(try JSONEncoder().encode(RuntimeWire.ApplyRequest(delete)))))
        #expect(deleted.status == 200, "\(String(decoding: deleted.body, as: UTF8.self))")
    }

    /// Stops whatever the agent left running under `directory` (after a failure, the JVMs would outlive the test).
    static func stopClusters(_ directory: URL) {
        for pid in RuntimeTests.processes(mentioning: directory) { kill(pid, SIGKILL) }
    }
}
}
