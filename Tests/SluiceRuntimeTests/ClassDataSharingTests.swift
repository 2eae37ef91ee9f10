import Foundation
import SluiceCore
@testable import SluiceRuntime
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The JVM options of a Flink process start and the class-data archives' life cycle (docs/runtime.md, "JVM start").
@Suite("JVM start: options and class-data archives")
struct ClassDataArchiveFileTests {
    @Test("helpers and the JobManager run C1 only, the TaskManager keeps the full JIT; the spec's JVM options come last and win")
    func environment() {
        let plan = FlinkProcessPlan(name: "shop.orders", jobManagerMemoryMiB: 1024, taskManagerMemoryMiB: 2048, flinkConfiguration: [
            "env.java.opts.jobmanager": "\"-Downer=shop\"", "env.java.default-opts.taskmanager": "-XX:+UseParallelGC",
            "env.java.opts.taskmanager": "-Dtm=1",
        ])
        let archives: [ClassDataArchives.Kind: URL] = [.helpers: URL(fileURLWithPath: "/c/helpers.jsa"),
                                                       .jobManager: URL(fileURLWithPath: "/c/jobmanager.jsa"),
                                                       .taskManager: URL(fileURLWithPath: "/c/taskmanager.jsa")]
        let base = ["PATH": "/usr/bin", "JAVA_TOOL_OPTIONS": "-Dhost=1"]
        let jobManager = JVMStart.environment(role: .jobManager, plan: plan, base: base, archives: archives)
        #expect(jobManager["PATH"] == "/usr/bin")
        #expect(jobManager["JAVA_TOOL_OPTIONS"] == "-XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=/c/helpers.jsa -XX:+VerifySharedSpaces -Dhost=1")
        // Flink's scripts strip one pair of double quotes from env.java.opts.*.
        #expect(jobManager["FLINK_ENV_JAVA_OPTS_JM"] == "-XX:SharedArchiveFile=/c/jobmanager.jsa -XX:+VerifySharedSpaces -Downer=shop")
        #expect(jobManager["FLINK_ENV_JAVA_OPTS_TM"] == nil)
        let taskManager = JVMStart.environment(role: .taskManager, plan: plan, base: base, archives: archives)
        #expect(taskManager["FLINK_ENV_JAVA_OPTS_TM"]
            == "-XX:TieredStopAtLevel=4 -XX:SharedArchiveFile=/c/taskmanager.jsa -XX:+VerifySharedSpaces -XX:+UseParallelGC -Dtm=1")
        let plain = JVMStart.environment(role: .taskManager, plan: plan, base: [:], archives: nil)
        #expect(plain["JAVA_TOOL_OPTIONS"] == "-XX:TieredStopAtLevel=1")
        #expect(plain["FLINK_ENV_JAVA_OPTS_TM"] == "-XX:TieredStopAtLevel=4 -XX:+UseParallelGC -Dtm=1")
        let training = JVMStart.environment(role: .jobManager, plan: plan, base: [:], archives: nil,
                                            training: [.jobManager: URL(fileURLWithPath: "/w/jobmanager.jsa")])
        #expect(training["FLINK_ENV_JAVA_OPTS_JM"] == "-XX:ArchiveClassesAtExit=/w/jobmanager.jsa -Downer=shop")
        // The scripts split these variables at whitespace: paths with spaces are left out, the start goes on.
        let spaced = JVMStart.environment(role: .jobManager, plan: plan, base: ["FLINK_LOG_DIR": "/var/lib/my runtime/log"],
                                          archives: archives.mapValues { URL(fileURLWithPath: "/my cache/" + $0.lastPathComponent) })
        #expect(spaced["JAVA_TOOL_OPTIONS"] == "-XX:TieredStopAtLevel=1")
        #expect(spaced["FLINK_ENV_JAVA_OPTS_JM"] == "-Downer=shop")
        let logs = JVMStart.environment(role: .jobManager, plan: plan, base: ["FLINK_LOG_DIR": "/var/log/x"], archives: nil)
        #expect(logs["JAVA_TOOL_OPTIONS"] == "-XX:TieredStopAtLevel=1 -XX:ErrorFile=/var/log/x/hs_err_pid%p.log")
    }

    @Test("the mapping check reads all of /proc/<pid>/maps, not only its first page")
    func mapsReadsToTheEnd() throws {
        // This test process maps many files; take one first listed past the first 4 KiB, which
        // a single read of the kernel's sequence file does not reach.
        let listing = try #require(ProcessMaps.listing())
        var offset = 0
        var seen = Set<Substring>()
        var late: Substring?
        for line in listing.split(separator: "\n") {
            if let path = line.split(separator: " ").last, path.hasPrefix("/") {
                if offset > 4096, !seen.contains(path) { late = path; break }
                seen.insert(path)
            }
            offset += line.utf8.count + 1
        }
        let path = try #require(late, "no file first mapped after 4 KiB of \(listing.utf8.count) bytes")
        #expect(RealFlink.ClassDataSharingTests.maps(getpid(), URL(fileURLWithPath: String(path))))
        #expect(!RealFlink.ClassDataSharingTests.maps(getpid(), URL(fileURLWithPath: "/nonexistent/archive.jsa")))
    }

    @Test("archives are used only as a complete set whose sizes match what was published; discard removes them")
    func lifecycle() throws {
        let work = try TemporaryDirectory(prefix: "sluice-cds")
        let flinkHome = work.url.appendingPathComponent("flink")
        try FileManager.default.createDirectory(at: flinkHome.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try Data("jar".utf8).write(to: flinkHome.appendingPathComponent("lib/flink-dist-2.3.0.jar"))
        let archives = try #require(ClassDataArchives(cache: work.url.appendingPathComponent("cache"), flinkHome: flinkHome))
        #expect(archives.distributionJar == "flink-dist-2.3.0.jar")
        #expect(archives.directory.lastPathComponent.hasPrefix("flink-dist-2.3.0-3-"))
        try FileManager.default.createDirectory(at: archives.directory, withIntermediateDirectories: true)
        #expect(archives.usable() == nil)

        for kind in ClassDataArchives.Kind.allCases {
            let built = work.url.appendingPathComponent("\(kind.rawValue).built")
            try Data(repeating: 7, count: 4096).write(to: built)
            try archives.publish(built, as: kind)
            #expect(!FileManager.default.fileExists(atPath: built.path))
        }
        #expect(archives.usable()?.count == 3)
        #expect(archives.usable()?[.taskManager] == archives.archive(.taskManager))

        // A truncated archive (the JVM would crash on it) makes the whole set unusable.
        let handle = try FileHandle(forWritingTo: archives.archive(.jobManager))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        #expect(archives.usable() == nil)

        archives.discard()
        for kind in ClassDataArchives.Kind.allCases {
            #expect(!FileManager.default.fileExists(atPath: archives.archive(kind).path))
        }
        // Without a single flink-dist jar there is nothing to key archives by.
        try Data("jar".utf8).write(to: flinkHome.appendingPathComponent("lib/flink-dist-extra.jar"))
        #expect(ClassDataArchives(cache: work.url, flinkHome: flinkHome) == nil)
    }
}

extension RealFlink {
@Suite("Class-data sharing with real Flink processes")
struct ClassDataSharingTests {
    private static func configuration(state: URL) throws -> RuntimeConfiguration {
        var configuration = try RuntimeTests.configuration(state: state)
        configuration.classDataArchiveDirectory = state.appendingPathComponent("cache/jvm")
        return configuration
    }

    /// The last lines each process wrote to its output log (a restarted process's log holds both runs).
    static func outputTails(_ status: ClusterStatus, bytes: Int = 2048) -> String {
        status.processes.map { process in
            let text = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? "(no log)"
            return "== \(process.role) \(process.index): \(process.logPath)\n" + String(text.suffix(bytes))
        }.joined(separator: "\n")
    }

    /// Whether `pid` has `file` mapped (the JVM maps a class-data archive it uses); the listing is
    /// read whole (`ProcessMaps`), as a mapping listed past its first 4 KiB once looked absent.
    static func maps(_ pid: pid_t, _ file: URL) -> Bool {
        ProcessMaps.listing(of: pid)?.contains(file.path) ?? false
    }

    @Test("JobManager and TaskManagers start together; the archives are built once in the background and mapped by the next JVMs")
    func buildAndUse() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-cds")
        var configuration = try Self.configuration(state: state.url)
        configuration.buildsClassDataArchives = true
        let supervisor = try FlinkSupervisor(configuration: configuration)
        let first = RuntimeTests.plan("test.cds-first", taskManagers: 2)
        _ = try await supervisor.ensureRunning(first, startupTimeout: .seconds(180))
        let status = try #require(await supervisor.status(of: first.name))
        // All three processes are started at once, not one after the other (Linux start times in clock ticks).
        let ticks = status.processes.compactMap(\.pid).compactMap { ProcessTable.stat($0)?.startTime }
        #expect(ticks.count == 3)
        let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        if status.restartCount == 0 {
            #expect((ticks.max() ?? 0) - (ticks.min() ?? 0) < hz, "start times \(ticks) (\(hz) ticks/s)")
        } else {
            // A process that exited during the start was restarted by the monitor, and its start time
            // is the restart's. Seen once, in a CI run with every test target in one process: the
            // JobManager started again 11 s after the TaskManagers. Its cause is not known yet, so the
            // restart is reported with the processes' output, not taken for sequential starts.
            withKnownIssue("a process exited during the first start and was restarted", isIntermittent: true) {
                Issue.record("start times \(ticks) (\(hz) ticks/s); \(status.restartCount) restart(s)\n\(Self.outputTails(status))")
            }
        }

        await supervisor.waitForClassDataTraining()
        let archives = try #require(ClassDataArchives(cache: configuration.classDataArchiveDirectory!, flinkHome: configuration.flinkHome))
        let log = (try? String(contentsOf: archives.directory.appendingPathComponent("training.log"), encoding: .utf8)) ?? "no training.log"
        #expect(await supervisor.hasClassDataArchives, "\(log)")
        await supervisor.stop(first.name)

        let second = RuntimeTests.plan("test.cds-second")
        _ = try await supervisor.ensureRunning(second, startupTimeout: .seconds(180))
        let started = try #require(await supervisor.status(of: second.name))
        let jobManager = try #require(RuntimeTests.pid(started, .jobManager))
        let taskManager = try #require(RuntimeTests.pid(started, .taskManager))
        #expect(Self.maps(taskManager, archives.archive(.taskManager)))
        #expect(Self.maps(jobManager, archives.archive(.jobManager)))
        #expect(started.restartCount == 0)
        await supervisor.shutdown(leaveRunning: false)
        #expect(RuntimeTests.processes(mentioning: state.url).isEmpty)
    }

    @Test("a broken class-data archive never stops a start: random bytes are ignored by the JVM, a truncated archive is put aside")
    func brokenArchives() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-cds")
        let configuration = try Self.configuration(state: state.url)
        let archives = try #require(ClassDataArchives(cache: configuration.classDataArchiveDirectory!, flinkHome: configuration.flinkHome))
        try FileManager.default.createDirectory(at: archives.directory, withIntermediateDirectories: true)
        let supervisor = try FlinkSupervisor(configuration: configuration)

        // Random bytes under a matching size record: the JVM rejects the header and starts without.
        for kind in ClassDataArchives.Kind.allCases {
            let built = state.url.appendingPathComponent("\(kind.rawValue).random")
            var bytes = [UInt8](repeating: 0, count: 200_000)
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
            try Data(bytes).write(to: built)
            try archives.publish(built, as: kind)
        }
        let random = RuntimeTests.plan("test.cds-random")
        _ = try await supervisor.ensureRunning(random, startupTimeout: .seconds(180))
        #expect(await supervisor.status(of: random.name)?.restartCount == 0)
        await supervisor.stop(random.name)

        // A real archive cut in half under a size record that matches it: Java 17 crashes (SIGBUS)
        // mapping it. The crashed process's restart runs without archives, and the cluster starts.
        let whole = state.url.appendingPathComponent("whole.jsa")
        let java = try #require(JVMStart.java(environment: ProcessInfo.processInfo.environment))
        let dump = try await onDedicatedThread("java-dump") {
            try run(java, ["-XX:ArchiveClassesAtExit=\(whole.path)", "-version"], timeout: 120)
        }
        #expect(dump.status == 0, "\(dump.stderr)")
        let archive = try Data(contentsOf: whole)
        for kind in ClassDataArchives.Kind.allCases {
            let built = state.url.appendingPathComponent("\(kind.rawValue).cut")
            try archive.prefix(archive.count / 2).write(to: built)
            try archives.publish(built, as: kind)
        }
        #expect(archives.usable() != nil)
        let truncated = RuntimeTests.plan("test.cds-truncated")
        _ = try await supervisor.ensureRunning(truncated, startupTimeout: .seconds(240))
        let status = await supervisor.status(of: truncated.name)
        #expect(status?.phase == .running)
        #expect((status?.restartCount ?? 0) >= 1)
        #expect(archives.usable() == nil)
        await supervisor.shutdown(leaveRunning: false)
        #expect(RuntimeTests.processes(mentioning: state.url).isEmpty)
    }
}
}
