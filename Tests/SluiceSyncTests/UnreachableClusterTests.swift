import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// A cluster whose server stopped answering: every apply fails in the transport.
final class DeadClusterDriver: ClusterDriver, @unchecked Sendable {
    struct Unreachable: SluiceError, TransportFailureReporting {
        var message: String { "cannot patch FlinkDeployment: connection refused" }
        var hint: String? { nil }
        var isTransportFailure: Bool { true }
    }

    let cluster: ClusterSpec
    private let lock = NSLock()
    private var attempts = 0
    var attempted: Int { lock.withLock { attempts } }
    var maxConcurrentActions: Int { 4 }

    init(_ name: String) {
        cluster = ClusterSpec(name: name, labels: ["name": name], tier: .private, driver: .flink, kubernetes: nil, flink: nil,
                              runtime: nil, location: SourceLocation(file: "clusters/\(name).yaml", line: 1, column: 1))
    }

    func liveState(desired: [DesiredObject]) async throws -> [LiveObject] { [] }

    func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        lock.withLock { attempts += 1 }
        try await Task.sleep(for: .milliseconds(5))
        throw Unreachable()
    }

    func health(of identity: ObjectIdentity) async throws -> Health { Health(.unknown, "") }
}

@Suite("A cluster that stops answering")
struct UnreachableClusterTests {
    @Test("after repeated transport failures the cluster's remaining actions are not attempted and it is marked failed")
    func stopsEarly() async {
        let dead = DeadClusterDriver("dead")
        let healthy = InMemoryDriver("fine", clock: AppliedClock())
        let environments = [SyncerTests.environment("a", wave: 0, cluster: "dead"), SyncerTests.environment("b", wave: 0, cluster: "fine")]
        let jobs = ["dead": (0..<200).map { Objects.deployment("j\($0)") }, "fine": [Objects.deployment("ok")]]
        let syncer = Syncer(drivers: ["dead": dead, "fine": healthy])
        let state = DesiredState(revision: "r", clusters: [
            ClusterDesiredState(cluster: dead.cluster, environments: ["a"], objects: jobs["dead"]!.map { var o = Objects.desired($0); o.cluster = "dead"; o.environment = "a"; return o }),
            ClusterDesiredState(cluster: healthy.cluster, environments: ["b"], objects: jobs["fine"]!.map { var o = Objects.desired($0); o.cluster = "fine"; o.environment = "b"; return o }),
        ])
        let options = SyncOptions(healthTimeout: .milliseconds(200), healthPollInterval: .milliseconds(20))
        let plan = await syncer.plan(state, environments: environments, options: options)
        let report = await syncer.sync(plan, state: state, environments: environments, options: options)
        let result = try! #require(report.clusters.first { $0.cluster == "dead" })
        #expect(result.status == .failed)
        #expect(dead.attempted < 10, "\(dead.attempted) of 200 actions were tried against a dead server")
        #expect(result.message.contains("transport failures in a row"), "\(result.message)")
        #expect(result.message.contains("remaining action(s) not attempted"))
        #expect(report.clusters.first { $0.cluster == "fine" }?.status == .synced, "another cluster is not touched by it")
    }

    @Test("refusals that are answers (not transport failures) do not trip it")
    func answersDoNotTrip() async {
        let driver = InMemoryDriver("a", clock: AppliedClock())
        for i in 0..<5 { driver.failApply(of: "j\(i)") }
        let environments = [SyncerTests.environment("prod", wave: 0, cluster: "a")]
        let (_, report) = await SyncerTests.run([driver], SyncerTests.state([driver], jobs: ["a": (0..<5).map { Objects.deployment("j\($0)") }], environments: environments), environments)
        #expect(report.clusters.first?.status == .failed)
        #expect(report.clusters.first?.message.contains("transport") == false)
    }
}
