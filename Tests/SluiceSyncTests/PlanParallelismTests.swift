import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// Counts the clusters whose live state is being read at the same moment.
final class InFlightCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0, most = 0
    var peak: Int { lock.withLock { most } }
    func enter() { lock.withLock { now += 1; most = max(most, now) } }
    func leave() { lock.withLock { now -= 1 } }
}

/// A cluster whose live state takes a while to read (a slow API server), or cannot be read at all.
final class SlowReadDriver: ClusterDriver, @unchecked Sendable {
    struct Unreadable: SluiceError {
        var cluster: String
        var message: String { "cannot read \(cluster): connection refused" }
        var hint: String? { nil }
    }

    let cluster: ClusterSpec
    let counter: InFlightCounter
    let fails: Bool

    init(_ name: String, counter: InFlightCounter, fails: Bool = false) {
        cluster = ClusterSpec(name: name, labels: ["name": name], tier: .private, driver: .flink, kubernetes: nil, flink: nil,
                              runtime: nil, location: SourceLocation(file: "clusters/\(name).yaml", line: 1, column: 1))
        self.counter = counter
        self.fails = fails
    }

    func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        counter.enter()
        defer { counter.leave() }
        try await Task.sleep(for: .milliseconds(30))
        if fails { throw Unreadable(cluster: cluster.name) }
        return []
    }

    func apply(_ action: PlannedAction) async throws -> ActionOutcome { ActionOutcome(.applied, "applied") }
    func health(of identity: ObjectIdentity) async throws -> Health { Health(.healthy, "fine") }
}

@Suite("Planning many clusters")
struct PlanParallelismTests {
    /// Twenty clusters (c00 ... c19), one job each, handed to the syncer in reverse name order.
    static func fleet(failing: Set<String> = []) -> (Syncer, DesiredState, [EnvironmentSpec], InFlightCounter) {
        let counter = InFlightCounter()
        let drivers = (0..<20).reversed().map { SlowReadDriver(String(format: "c%02d", $0), counter: counter, fails: failing.contains(String(format: "c%02d", $0))) }
        let environments = drivers.map { SyncerTests.environment("e-\($0.cluster.name)", wave: 0, cluster: $0.cluster.name) }
        let state = DesiredState(revision: "r", clusters: drivers.map { driver in
            var object = Objects.desired(Objects.deployment("job-\(driver.cluster.name)"))
            object.cluster = driver.cluster.name
            object.environment = "e-\(driver.cluster.name)"
            return ClusterDesiredState(cluster: driver.cluster, environments: [object.environment], objects: [object])
        })
        let syncer = Syncer(drivers: Dictionary(uniqueKeysWithValues: drivers.map { ($0.cluster.name, $0 as any ClusterDriver) }))
        return (syncer, state, environments, counter)
    }

    @Test("clusters are read in parallel, never more at once than the bound", arguments: [1, 3, 8])
    func bounded(parallelism: Int) async {
        let (syncer, state, environments, counter) = Self.fleet()
        var options = SyncOptions()
        options.parallelism = parallelism
        let plan = await syncer.plan(state, environments: environments, options: options)
        #expect(plan.clusters.count == 20)
        #expect(counter.peak <= parallelism, "\(counter.peak) clusters were read at once with --parallelism \(parallelism)")
        #expect(counter.peak > (parallelism > 1 ? 1 : 0), "clusters were read one at a time")
    }

    @Test("the default reads eight clusters at a time")
    func defaultBound() async {
        let (syncer, state, environments, counter) = Self.fleet()
        _ = await syncer.plan(state, environments: environments)
        #expect(SyncOptions().parallelism == 8)
        #expect(counter.peak <= 8 && counter.peak > 1, "\(counter.peak)")
    }

    @Test("a cluster that cannot be read fails alone, and the plan lists clusters by name whatever order they finish in")
    func failureStaysItsOwn() async {
        let (syncer, state, environments, _) = Self.fleet(failing: ["c03", "c17"])
        var options = SyncOptions()
        options.parallelism = 4
        let plan = await syncer.plan(state, environments: environments, options: options)
        #expect(plan.clusters.map(\.cluster.name) == (0..<20).map { String(format: "c%02d", $0) })
        for cluster in plan.clusters {
            if ["c03", "c17"].contains(cluster.cluster.name) {
                #expect(cluster.failure != nil)
                #expect(cluster.actions.isEmpty)
                #expect(cluster.failure?.isLiveStateUnreadable == true)
                #expect(cluster.failure?.message.contains("cannot read \(cluster.cluster.name)") == true, "\(String(describing: cluster.failure?.message))")
            } else {
                #expect(cluster.failure == nil, "\(cluster.cluster.name): \(String(describing: cluster.failure))")
                #expect(cluster.actions.map(\.kind) == [.create])
            }
        }
    }
}
