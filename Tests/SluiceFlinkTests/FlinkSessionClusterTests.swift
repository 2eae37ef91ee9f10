import Foundation
import SluiceTestSupport
import Testing

/// Proves the Flink test environment: a real session cluster runs the stateful test job, a
/// stop-with-savepoint and a restore under a new job id keep the keyed counts, and stopping the
/// cluster leaves no JVM behind.
extension RealFlink {
@Suite("The Flink test environment")
struct FlinkSessionClusterTests {
    @Test(.timeLimit(.minutes(5)))
    func savepointRestoreContinuesKeyedCounts() async throws {
        let jar = try FlinkInstallation.testJobJar()
        let started = Date()
        let cluster = try await FlinkSessionCluster(taskSlots: 4)
        let clusterStartup = cluster.startupSeconds
        let output = cluster.workDir.appendingPathComponent("output", isDirectory: true)
        let workDirPath = cluster.workDir.path
        do {
            let jarID = try cluster.rest.uploadJar(jar)

            let firstJob = FlinkREST.newID()
            try cluster.rest.runJar(jarID, jobID: firstJob, parallelism: 2,
                                    arguments: ["--keys", "4", "--rate", "100", "--output", output.path, "--tag", "first"])
            try await cluster.rest.waitForJob(firstJob, in: ["RUNNING"])
            let before = try await waitForCounts(in: output, tag: "first", atLeast: 50)
            let location = try await cluster.rest.stopWithSavepoint(firstJob, targetDirectory: cluster.savepointDir)
            try await cluster.rest.waitForJob(firstJob, in: ["FINISHED"])
            #expect(location.hasPrefix("file:"))
            // Includes the last report, written when the job stopped at the savepoint.
            let atStop = try countLines(in: output).filter { $0.tag == "first" }

            let secondJob = FlinkREST.newID()
            try cluster.rest.runJar(jarID, jobID: secondJob, parallelism: 3, savepointPath: location,
                                    arguments: ["--keys", "4", "--rate", "100", "--output", output.path, "--tag", "second"])
            try await cluster.rest.waitForJob(secondJob, in: ["RUNNING"])
            let after = try await waitForCounts(in: output, tag: "second", atLeast: 1)

            for key in 0..<4 {
                let lastBefore = try #require(atStop.filter { $0.key == key }.map(\.count).max(), "no count for key \(key) before the stop")
                let firstAfter = try #require(after.filter { $0.key == key }.map(\.count).min(), "no count for key \(key) after the restore")
                // Continuity: the restored job counts on from the savepoint instead of starting at 1.
                #expect(firstAfter > lastBefore, "key \(key): \(firstAfter) after restore, \(lastBefore) before")
            }
            // A job without restored state starts counting at 1; the restored one did not.
            #expect(before.map(\.count).min() == 1)
            let checkpoints = try cluster.rest.get("/jobs/\(secondJob)/checkpoints").json
            let restored = (checkpoints?["latest"] as? [String: Any])?["restored"] as? [String: Any]
            #expect(restored?["is_savepoint"] as? Bool == true)
        } catch {
            Issue.record("\(error)\n--- JobManager log (tail) ---\n\(cluster.logs())")
        }

        let groups = cluster.processGroups
        #expect(groups.count == 2)
        cluster.stop()
        #expect(cluster.processGroups.isEmpty)
        // No process (JVM or guard) of this cluster is left: their command lines name its work dir.
        let leftovers = try run("/usr/bin/pgrep", ["-f", workDirPath], timeout: 10)
        #expect(leftovers.status == 1, "processes left behind: \(leftovers.stdout)")
        print("Flink cluster started in \(String(format: "%.1f", clusterStartup)) s; whole test took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test(.timeLimit(.minutes(5)))
    func killedTaskManagerRecoversFromCheckpoint() async throws {
        let jar = try FlinkInstallation.testJobJar()
        let cluster = try await FlinkSessionCluster(taskSlots: 2)
        let output = cluster.workDir.appendingPathComponent("output", isDirectory: true)
        do {
            let jarID = try cluster.rest.uploadJar(jar)
            let job = FlinkREST.newID()
            try cluster.rest.runJar(jarID, jobID: job, parallelism: 2,
                                    arguments: ["--keys", "4", "--rate", "100", "--output", output.path, "--tag", "tm"])
            try await cluster.rest.waitForJob(job, in: ["RUNNING"])
            _ = try await waitForCounts(in: output, tag: "tm", atLeast: 30)
            // A checkpoint taken after every key has counts, so the restore cannot start a key at 1.
            try await waitForCompletedCheckpoint(cluster.rest, job: job, moreThan: completedCheckpoints(cluster.rest, job: job))

            let linesBeforeKill = try lineCounts(in: output)
            cluster.killTaskManager()
            try cluster.startTaskManager()
            // Lines written after the kill come from the restarted tasks.
            let deadline = Date().addingTimeInterval(90)
            var recovered: [CountLine] = []
            while Date() < deadline, Set(recovered.map(\.key)).count < 4 {
                try await Task.sleep(nanoseconds: 250_000_000)
                recovered = try countLines(in: output, after: linesBeforeKill)
            }
            #expect(Set(recovered.map(\.key)).count == 4, "no output after the TaskManager was replaced")
            // Restored from a checkpoint: the counts go on instead of starting again at 1.
            #expect((recovered.map(\.count).min() ?? 0) > 1)
            let checkpoints = try cluster.rest.get("/jobs/\(job)/checkpoints").json
            let restored = (checkpoints?["latest"] as? [String: Any])?["restored"] as? [String: Any]
            #expect(restored?["is_savepoint"] as? Bool == false)
        } catch {
            Issue.record("\(error)\n--- JobManager log (tail) ---\n\(cluster.logs())")
        }
        cluster.stop()
        #expect(cluster.processGroups.isEmpty)
    }

    /// The number of completed checkpoints of job `job`.
    func completedCheckpoints(_ rest: FlinkREST, job: String) throws -> Int {
        let counts = try rest.get("/jobs/\(job)/checkpoints").json?["counts"] as? [String: Any]
        return counts?["completed"] as? Int ?? 0
    }

    /// Waits (bounded) until job `job` has more than `moreThan` completed checkpoints.
    func waitForCompletedCheckpoint(_ rest: FlinkREST, job: String, moreThan: Int, timeout: TimeInterval = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try completedCheckpoints(rest, job: job) > moreThan { return }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        throw FlinkTestError("job \(job) completed no checkpoint within \(Int(timeout)) s")
    }

    /// One `tag key count` line of the test job's output.
    struct CountLine { var tag: String; var key: Int; var count: Int }

    /// The complete lines of every `counts-*.txt` in `directory`, by file name.
    func linesByFile(in directory: URL) throws -> [String: [CountLine]] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var result: [String: [CountLine]] = [:]
        for file in files where file.hasPrefix("counts-") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            result[file] = text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count == 3, let key = Int(fields[1]), let count = Int(fields[2]) else { return nil }
                return CountLine(tag: String(fields[0]), key: key, count: count)
            }
        }
        return result
    }

    /// How many lines each `counts-*.txt` in `directory` has now.
    func lineCounts(in directory: URL) throws -> [String: Int] {
        try linesByFile(in: directory).mapValues(\.count)
    }

    /// The lines of all `counts-*.txt` in `directory`, leaving out each file's first `after[file]` lines.
    func countLines(in directory: URL, after: [String: Int] = [:]) throws -> [CountLine] {
        try linesByFile(in: directory).flatMap { file, lines in lines.dropFirst(after[file] ?? 0) }
    }

    /// Waits (bounded) until every one of the 4 keys has a line with `tag` and a count of at least `atLeast`.
    func waitForCounts(in directory: URL, tag: String, atLeast: Int, timeout: TimeInterval = 60) async throws -> [CountLine] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let lines = try countLines(in: directory).filter { $0.tag == tag }
            let keysReady = Set(lines.filter { $0.count >= atLeast }.map(\.key))
            if keysReady.count == 4 { return lines }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        throw FlinkTestError("no counts >= \(atLeast) for all 4 keys with tag \(tag) in \(directory.path) after \(Int(timeout)) s")
    }
}
}
