import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

@Suite("A sync that stops early: a job that cannot start, a stop asked for")
struct SyncInterruptTests {
    @Test("a health that waiting cannot heal ends the gate at once, not at the timeout")
    func settledHealthFailsFast() async {
        let driver = InMemoryDriver("a", clock: AppliedClock())
        driver.reportHealth(of: "j1", .cannotStart("job 1 is RESTARTING; it failed 2 times since the change: java.lang.ClassNotFoundException: x.Y"))
        let environments = [SyncerTests.environment("prod", wave: 0, cluster: "a")]
        let options = SyncOptions(healthTimeout: .seconds(120), healthPollInterval: .milliseconds(20))
        let started = ContinuousClock.now
        let (_, report) = await SyncerTests.run([driver], SyncerTests.state([driver], jobs: ["a": [Objects.deployment("j1")]], environments: environments),
                                                environments, options: options)
        #expect(ContinuousClock.now - started < .seconds(60), "the gate ended without waiting out its 120 s")
        let result = try! #require(report.clusters.first)
        #expect(result.status == .failed)
        #expect(result.message.contains("cannot start") && result.message.contains("ClassNotFoundException"), "\(result.message)")
        #expect(Health.cannotStart("x").settled && !Health(.degraded, "x").settled)
    }

    @Test("a requested stop: nothing starts after it, a waiting health gate ends, later waves are held")
    func interrupt() async throws {
        let clock = AppliedClock()
        let (a, b) = (InMemoryDriver("a", clock: clock), InMemoryDriver("b", clock: clock))
        a.reportHealth(of: "j1", Health(.progressing, "waiting for the first checkpoint"))
        let environments = [SyncerTests.environment("canary", wave: 0, cluster: "a"), SyncerTests.environment("prod", wave: 1, cluster: "b")]
        let interrupt = SyncInterrupt()
        var options = SyncOptions(healthTimeout: .seconds(120), healthPollInterval: .milliseconds(20))
        options.interrupt = interrupt
        let state = SyncerTests.state([a, b], jobs: ["a": [Objects.deployment("j1")], "b": [Objects.deployment("j2")]], environments: environments)
        let syncer = Syncer(drivers: ["a": a, "b": b])
        let plan = await syncer.plan(state, environments: environments, options: options)
        let started = ContinuousClock.now
        // The stop comes while a's health gate waits.
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(300))
            interrupt.request("SIGTERM while stopping")
        }
        let report = await syncer.sync(plan, state: state, environments: environments, options: options)
        try await stopper.value
        #expect(ContinuousClock.now - started < .seconds(60))
        let status = Dictionary(uniqueKeysWithValues: report.clusters.map { ($0.cluster, $0) })
        #expect(status["a"]?.status == .failed && status["a"]?.message.contains("stopped at a safe point") == true, "\(status["a"]?.message ?? "")")
        #expect(a.actions.count == 1, "the action that had started finished")
        #expect(status["b"]?.status == .held && b.actions.isEmpty, "nothing starts after the stop")

        // Asked before the sync starts: no action at all.
        let c = InMemoryDriver("c", clock: clock)
        let onlyC = [SyncerTests.environment("solo", wave: 0, cluster: "c")]
        let cState = SyncerTests.state([c], jobs: ["c": [Objects.deployment("j3")]], environments: onlyC)
        let cSyncer = Syncer(drivers: ["c": c])
        let cReport = await cSyncer.sync(await cSyncer.plan(cState, environments: onlyC, options: options), state: cState, environments: onlyC, options: options)
        #expect(c.actions.isEmpty && cReport.clusters.first?.status == .held)
    }
}
