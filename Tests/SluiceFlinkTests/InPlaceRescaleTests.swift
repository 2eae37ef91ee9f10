import Foundation
import SluiceFlink
import SluiceHTTP
import SluiceSync
import SluiceTestSupport
import Testing

/// In-place rescaling on a real Flink 2.3 session cluster with the adaptive scheduler, as the
/// operator's NativeFlinkService.scale does it: a `pipeline.jobvertex-parallelism-overrides` change
/// (SCALE in native mode, AbstractFlinkSpec's @SpecDiff.Config) goes through
/// `PUT /jobs/<id>/resource-requirements`; the job id stays and its keyed state continues.
extension RealFlink {
@Suite("Rescale in place on a real Flink session cluster")
struct InPlaceRescaleTests {
    /// How many lines each counts file holds now, so that later reads see only what came after.
    static func lineCounts(_ output: URL) -> [String: Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        var out: [String: Int] = [:]
        for file in files where file.hasPrefix("counts-") {
            let text = (try? String(contentsOf: output.appendingPathComponent(file), encoding: .utf8)) ?? ""
            out[file] = text.split(separator: "\n").count
        }
        return out
    }

    /// The counts of `key` written after `mark`, across every subtask's file.
    static func counts(_ output: URL, key: Int, after mark: [String: Int]) -> [Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        return files.filter { $0.hasPrefix("counts-") }.flatMap { file -> [Int] in
            let text = (try? String(contentsOf: output.appendingPathComponent(file), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").dropFirst(mark[file] ?? 0).compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count == 3, Int(fields[1]) == key else { return nil }
                return Int(fields[2])
            }
        }
    }

    /// Waits (bounded) until `key` has a count of at least `atLeast` written after `mark`.
    static func awaitCounts(_ output: URL, key: Int = 0, after mark: [String: Int], atLeast: Int) async throws -> [Int] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let counts = counts(output, key: key, after: mark)
            if let max = counts.max(), max >= atLeast { return counts }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CountsError(description: "no count ≥ \(atLeast) for key \(key) within 60 s; so far \(counts(output, key: key, after: mark).suffix(5))")
    }

    @Test("an override change rescales in place; removing the override falls back to a savepoint upgrade; state continues both times")
    func rescaleInPlace() async throws {
        let world = try await FlinkSyncTests.World(clusterConfig: ["jobmanager.scheduler": "adaptive"])
        defer { world.flink.stop() }
        let output = world.work.url.appendingPathComponent("output")
        let client = FlinkClient(baseURL: world.flink.restURL, http: HTTPClient())

        var job = SpecRepository.Job()
        try world.repo.job(job)
        var (plan, report) = try await world.sync()
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        _ = try await world.counts.await(tag: "v1", atLeast: 30)
        let original = try #require(try await world.runningCounterJobs().first)
        let vertices = try #require(try await client.job(original.id)?.vertices)
        #expect(vertices.allSatisfy { $0.parallelism == 1 })

        // Every vertex to parallelism 2 through the override: a SCALE change in native mode.
        job.configuration = [JobLifecycle.parallelismOverridesKey: vertices.map { "\($0.id):2" }.joined(separator: ",")]
        try world.repo.job(job)
        let before = try #require(world.counts.counts(tag: "v1").max())
        var mark = Self.lineCounts(output)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.rescale])
        #expect(plan.clusters.first?.changes.first?.reason.contains("rescale in place") == true, "\(plan.clusters)")
        let rescale = try #require(world.result(report)?.actions.first)
        #expect(rescale.succeeded, "\(rescale.message)")
        #expect(rescale.message.contains("rescaled in place"), "\(rescale.message)")
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        // The same job, now at the new parallelism.
        #expect(try await world.runningCounterJobs().map(\.id) == [original.id])
        #expect(try await client.job(original.id)?.vertices.allSatisfy { $0.parallelism == 2 } == true)
        // Keyed state continued: the adaptive scheduler restored the job's latest checkpoint, which
        // trails the last report by at most a checkpoint interval (1 s at 10 records/s per key).
        let after = try await Self.awaitCounts(output, after: mark, atLeast: before + 20)
        #expect(after.min()! > before - 20, "after the rescale key 0 counts from \(after.min()!), but it had reached \(before)")

        // Removing the override cannot be done in place (the operator falls back too): a savepoint upgrade.
        job.configuration = [:]
        try world.repo.job(job)
        let beforeUpgrade = try #require(Self.counts(output, key: 0, after: [:]).max())
        mark = Self.lineCounts(output)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.rescale])
        #expect(plan.clusters.first?.changes.first?.reason.contains("not in place (the parallelism override of vertex") == true,
                "\(plan.clusters)")
        let fallback = try #require(world.result(report)?.actions.first)
        #expect(fallback.succeeded, "\(fallback.message)")
        #expect(fallback.message.contains("not rescaled in place (the parallelism override of vertex"), "\(fallback.message)")
        #expect(fallback.message.contains("upgraded through savepoint"), "\(fallback.message)")
        let upgraded = try await world.runningCounterJobs()
        #expect(upgraded.count == 1 && upgraded.first?.id != original.id)
        let resumed = try await Self.awaitCounts(output, after: mark, atLeast: beforeUpgrade + 10)
        #expect(resumed.min()! > beforeUpgrade - 20, "after the upgrade key 0 counts from \(resumed.min()!), but it had reached \(beforeUpgrade)")
    }
}
}
