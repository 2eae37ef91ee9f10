import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// A driver that keeps its cluster in memory, for the orchestration rules (waves, holds, gates,
/// rollback). The Flink driver itself is tested against a real Flink cluster.
final class InMemoryDriver: ClusterDriver, @unchecked Sendable {
    let cluster: ClusterSpec
    private let lock = NSLock()
    private var objects: [ObjectIdentity: Value] = [:]
    private var failing: Set<String> = []
    private var unhealthy: [String: Health] = [:]
    private(set) var applied: [PlannedAction] = []
    private let clock: AppliedClock

    init(_ name: String, clock: AppliedClock) {
        cluster = ClusterSpec(name: name, labels: ["name": name], tier: .private, driver: .flink, kubernetes: nil, flink: nil,
                              runtime: nil, location: SourceLocation(file: "clusters/\(name).yaml", line: 1, column: 1))
        self.clock = clock
    }

    func failApply(of name: String) { lock.withLock { _ = failing.insert(name) } }
    func reportHealth(of name: String, _ health: Health) { lock.withLock { unhealthy[name] = health } }
    var actions: [PlannedAction] { lock.withLock { applied } }
    func value(of name: String) -> Value? { lock.withLock { objects.first { $0.key.name == name }?.value } }

    func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        lock.withLock { objects.map { LiveObject(identity: $0.key, value: $0.value) } }
    }

    func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        clock.tick(cluster.name)
        return try lock.withLock {
            applied.append(action)
            if failing.contains(action.identity.name) { throw DriverError(cluster: cluster.name, "refused \(action.identity.name)") }
            if action.kind == .delete { objects[action.identity] = nil } else { objects[action.identity] = action.desired?.value }
            return ActionOutcome(.applied, "applied", savepointPath: action.kind == .upgrade ? "file:///sp/\(action.identity.name)" : nil)
        }
    }

    func health(of identity: ObjectIdentity) async throws -> Health {
        lock.withLock { unhealthy[identity.name] ?? Health(.healthy, "fine") }
    }
}

/// The order in which clusters were first touched.
final class AppliedClock: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var order: [String] = []
    func tick(_ cluster: String) { lock.withLock { if !order.contains(cluster) { order.append(cluster) } } }
    var sequence: [String] { lock.withLock { order } }
}

@Suite("Sync orchestration")
struct SyncerTests {
    static func environment(_ name: String, wave: Int, cluster: String, autoRollback: Bool = false) -> EnvironmentSpec {
        var policy = EnvironmentSpec.SyncPolicy()
        policy.autoRollback = autoRollback
        return EnvironmentSpec(name: name, labels: [:], namespace: "ns", wave: wave,
                               clusterSelector: LabelSelector(matchLabels: ["name": cluster]), jobSelector: LabelSelector(),
                               patches: [], syncPolicy: policy, location: SourceLocation(file: "env.yaml", line: 1, column: 1))
    }

    static func state(_ drivers: [InMemoryDriver], jobs: [String: [Value]], environments: [EnvironmentSpec]) -> DesiredState {
        DesiredState(revision: "rev1", clusters: drivers.map { driver in
            let env = environments.first { $0.clusterSelector.matches(driver.cluster.labels) }!.name
            let objects = (jobs[driver.cluster.name] ?? []).map { value -> DesiredObject in
                var object = Objects.desired(value)
                object.cluster = driver.cluster.name
                object.environment = env
                return object
            }
            return ClusterDesiredState(cluster: driver.cluster, environments: [env], objects: objects)
        })
    }

    static func run(_ drivers: [InMemoryDriver], _ state: DesiredState, _ environments: [EnvironmentSpec],
                    options: SyncOptions = SyncOptions(healthTimeout: .milliseconds(300), healthPollInterval: .milliseconds(20)),
                    journal: Journal? = nil) async -> (Plan, SyncReport) {
        let syncer = Syncer(drivers: Dictionary(uniqueKeysWithValues: drivers.map { ($0.cluster.name, $0 as any ClusterDriver) }), journal: journal)
        let plan = await syncer.plan(state, environments: environments, options: options)
        return (plan, await syncer.sync(plan, state: state, environments: environments, options: options))
    }

    @Test("waves run in order; a failed cluster holds later waves but not its wave-mates")
    func waves() async {
        let clock = AppliedClock()
        let (a, b, c) = (InMemoryDriver("a", clock: clock), InMemoryDriver("b", clock: clock), InMemoryDriver("c", clock: clock))
        let environments = [Self.environment("canary", wave: 0, cluster: "a"), Self.environment("canary-2", wave: 0, cluster: "b"),
                            Self.environment("prod", wave: 1, cluster: "c")]
        let jobs = ["a": [Objects.deployment("j1")], "b": [Objects.deployment("j2")], "c": [Objects.deployment("j3")]]
        let (_, report) = await Self.run([c, b, a], Self.state([a, b, c], jobs: jobs, environments: environments), environments)
        #expect(report.succeeded)
        #expect(clock.sequence.last == "c", "wave 1 runs after wave 0")
        #expect(report.clusters.map(\.wave) == [0, 0, 1])

        b.failApply(of: "j2b")
        let changed = ["a": [Objects.deployment("j1", parallelism: 4)], "b": [Objects.deployment("j2b")], "c": [Objects.deployment("j3", parallelism: 4)]]
        let (_, second) = await Self.run([a, b, c], Self.state([a, b, c], jobs: changed, environments: environments), environments)
        let status = Dictionary(uniqueKeysWithValues: second.clusters.map { ($0.cluster, $0.status) })
        #expect(status == ["a": .synced, "b": .failed, "c": .held])
        #expect(c.value(of: "j3")?[path: "spec", "job", "parallelism"]?.intValue == 2, "a held wave changes nothing")
        #expect(a.value(of: "j1")?[path: "spec", "job", "parallelism"]?.intValue == 4, "the wave-mate of a failed cluster still syncs")
        #expect(second.clusters.first { $0.cluster == "c" }?.message.contains("b") == true)
    }

    @Test("a health gate that times out fails the cluster with the last reason")
    func healthGate() async {
        let driver = InMemoryDriver("a", clock: AppliedClock())
        driver.reportHealth(of: "j1", Health(.progressing, "waiting for the first checkpoint"))
        let environments = [Self.environment("prod", wave: 0, cluster: "a")]
        let (_, report) = await Self.run([driver], Self.state([driver], jobs: ["a": [Objects.deployment("j1")]], environments: environments), environments)
        let result = try! #require(report.clusters.first)
        #expect(result.status == .failed)
        #expect(result.message.contains("waiting for the first checkpoint"))
        #expect(result.actions.first?.health?.status == .progressing)
    }

    @Test("auto-rollback restores the previous spec from the upgrade's savepoint and holds the bad spec")
    func rollback() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Journal(directory: directory)
        let driver = InMemoryDriver("a", clock: AppliedClock())
        let environments = [Self.environment("prod", wave: 0, cluster: "a", autoRollback: true)]
        _ = await Self.run([driver], Self.state([driver], jobs: ["a": [Objects.deployment("j1")]], environments: environments), environments, journal: journal)

        driver.reportHealth(of: "j1", Health(.degraded, "job FAILED"))
        let bad = Self.state([driver], jobs: ["a": [Objects.deployment("j1", image: "flink:broken")]], environments: environments)
        let (_, report) = await Self.run([driver], bad, environments, journal: journal)
        let result = try #require(report.clusters.first?.actions.first)
        #expect(!result.succeeded && result.rolledBack)
        let rollback = try #require(driver.actions.last)
        #expect(rollback.kind == .redeploy)
        #expect(rollback.desired?.value[path: "spec", "image"]?.stringValue == "flink:2.1")
        #expect(rollback.desired?.value[path: "spec", "job", "initialSavepointPath"]?.stringValue == "file:///sp/j1")

        driver.reportHealth(of: "j1", Health(.healthy, "fine"))
        let (plan, _) = await Self.run([driver], bad, environments, journal: journal)
        let held = try #require(plan.clusters.first?.actions.first)
        #expect(held.kind == .none)
        #expect(held.reason.contains("rolled back"))
    }

    @Test("a dry run applies nothing")
    func dryRun() async {
        let driver = InMemoryDriver("a", clock: AppliedClock())
        let environments = [Self.environment("prod", wave: 0, cluster: "a")]
        let (_, report) = await Self.run([driver], Self.state([driver], jobs: ["a": [Objects.deployment("j1")]], environments: environments),
                                         environments, options: SyncOptions(dryRun: true))
        #expect(report.clusters.first?.actions.first?.message.hasPrefix("would create") == true)
        #expect(driver.actions.isEmpty)
    }
}
