import Foundation
import SluiceCore
import SluicePipeline
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport

/// The cost of a no-op plan at scale: `jobs` FlinkDeployments are applied to the fake API server,
/// then `sluice plan` runs as a separate process (so its peak memory is its own) against the
/// unchanged cluster; reports its time, peak RSS and API requests per object.
enum KubernetesNoopBenchmark {
    static func run(jobs: Int, sluice: String) async throws {
        let fake = try KubeFakeServer()
        let work = try TemporaryDirectory(prefix: "sluice-bench-noop")
        try KubernetesBenchmark.writeFleet(jobs: jobs, into: work, fake: fake,
                                           flinkConfiguration: #"{taskmanager.numberOfTaskSlots: "2", state.backend.type: rocksdb, execution.checkpointing.interval: 30s}"#)
        let state = work.url.appendingPathComponent("state")
        let options = SyncOptions(healthTimeout: .zero, healthPollInterval: .milliseconds(1))
        let applyStart = ContinuousClock.now
        let planned = try await Pipeline(stateDirectory: state).plan(DirectoryTree(path: work.url.appendingPathComponent("specs").path), revision: "bench", options: options)
        let planSeconds = (ContinuousClock.now - applyStart).seconds
        // The health gate is not part of this measurement (the fake runs no operator).
        let window = ApplyWindow()
        let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options) { event in
            switch event {
            case .actionStarted: window.start()
            case .actionFinished(let result): window.finish(ok: result.succeeded)
            default: break
            }
        }
        await planned.syncer.close()
        let (actionSeconds, applied, failed) = window.result()
        guard applied == jobs, failed == 0 else { throw BenchError("\(applied) of \(jobs) applied: \(report.clusters.map(\.message))") }
        let applySeconds = (ContinuousClock.now - applyStart).seconds
        print(String(format: "kube-noop-plan: setup of %d FlinkDeployments: plan against the empty cluster %.1f s, applies %.1f s, health gate (one read each, no wait) and the rest %.1f s",
                     jobs, planSeconds, actionSeconds, applySeconds - planSeconds - actionSeconds))

        let before = try fake.requestCount()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sluice)
        process.arguments = ["plan", "--repo", work.url.appendingPathComponent("specs").path, "--state-dir", state.path]
        process.standardOutput = FileHandle.nullDevice
        process.environment = ProcessInfo.processInfo.environment.merging(
            [HostPathPolicy.environmentVariable: KubernetesBenchmark.allowedRoot(fake)]) { _, new in new }
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let seconds = (ContinuousClock.now - start).seconds
        // Foundation reaps the child itself; the largest child waited for is this plan (the
        // fake's control calls are small Python processes).
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let requests = try fake.requestCount() - before
        let exit = process.terminationStatus
        print(String(format: "kube-noop-plan: %d FlinkDeployments (applied in %.1f s); no-op `sluice plan` %.2f s, peak %.1f MiB, %d API requests (%.1f objects per request), exit %d",
                     jobs, applySeconds, seconds, Double(usage.ru_maxrss) / 1024, requests, Double(jobs) / Double(max(1, requests)), exit))

        // The same through `sluice sync --output json` (plan, then the report printed at the end),
        // its peak memory read by time(1) since the plan's is already the largest child's.
        let syncBefore = try fake.requestCount()
        let sync = Process()
        let peak = Pipe()
        sync.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        sync.arguments = ["-f", "%M", sluice, "sync", "--quiet", "--output", "json", "--repo", work.url.appendingPathComponent("specs").path, "--state-dir", state.path]
        sync.standardOutput = FileHandle.nullDevice
        sync.standardError = peak
        sync.environment = process.environment
        let syncStart = ContinuousClock.now
        try sync.run()
        let peakText = String(decoding: peak.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sync.waitUntilExit()
        let syncSeconds = (ContinuousClock.now - syncStart).seconds
        let syncKiB = peakText.split(whereSeparator: \.isNewline).last.flatMap { Double($0) } ?? 0
        let syncRequests = try fake.requestCount() - syncBefore
        print(String(format: "kube-noop-plan: no-op `sluice sync --output json` %.2f s, peak %.1f MiB, %d API requests, exit %d",
                     syncSeconds, syncKiB / 1024, syncRequests, sync.terminationStatus))
    }
}
