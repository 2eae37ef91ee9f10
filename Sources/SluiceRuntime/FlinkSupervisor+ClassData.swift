#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceYAML
import SluiceHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Building the class-data archives (`ClassDataArchives`) of the runtime's Flink distribution: once
/// per distribution, in the background after a deployment started, at low CPU priority.
extension FlinkSupervisor {
    /// The archives of this runtime's Flink distribution; nil when class-data sharing is off.
    func classDataArchives() -> ClassDataArchives? {
        configuration.classDataArchiveDirectory.flatMap { ClassDataArchives(cache: $0, flinkHome: configuration.flinkHome) }
    }

    /// Starts the training run when the archives are missing and none runs in this runtime.
    func trainClassDataArchivesIfNeeded() {
        guard configuration.buildsClassDataArchives, !isShutDown, training == nil, let archives = classDataArchives(), archives.usable() == nil else { return }
        training = Task { [weak self] in
            await self?.train(archives)
            await self?.trainingEnded()
        }
    }

    /// Waits for a training run of this runtime to end (tests, `sluice runtime` tooling).
    public func waitForClassDataTraining() async {
        await training?.value
    }

    /// Whether a complete set of class-data archives is in place for new processes.
    public var hasClassDataArchives: Bool { classDataArchives()?.usable() != nil }

    private func trainingEnded() { training = nil }

    /// A process started with the archives that ended within `suspectWindow`: the archives may be
    /// the cause (a truncated one crashes the JVM), so they go; the restart runs without them.
    func discardArchivesIfSuspect(_ record: ProcessRecord) -> Bool {
        guard record.classDataSharing == true, Date().timeIntervalSince(record.startedAt) < ClassDataArchives.suspectWindow,
              let archives = classDataArchives(), archives.usable() != nil else { return false }
        archives.discard()
        return true
    }

    /// One training run, holding `training.lock` so that no two runtimes on the host train the same
    /// distribution. What failed is written to `training.log` beside the archives; starts go on without.
    private func train(_ archives: ClassDataArchives) async {
        let fileManager = FileManager.default
        guard (try? fileManager.createDirectory(at: archives.directory, withIntermediateDirectories: true)) != nil else { return }
        let lock = open(archives.directory.appendingPathComponent("training.lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else { return }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0, archives.usable() == nil else { return }
        let work = archives.directory.appendingPathComponent("training-\(getpid())", isDirectory: true)
        try? fileManager.removeItem(at: work)
        defer { try? fileManager.removeItem(at: work) }
        let started = ContinuousClock.now
        let outcome: String
        do {
            try await runTraining(archives, work: work)
            outcome = "built in \(decimalText((ContinuousClock.now - started).seconds, decimals: 1)) s"
        } catch {
            outcome = "not built: \(error)"
        }
        let line = "\(Date.ISO8601FormatStyle().format(Date())) class-data archives \(outcome)\n"
        let logFile = archives.directory.appendingPathComponent("training.log")
        if !FileBytes.append(Data(line.utf8), toExisting: logFile.path) {
            _ = fileManager.createFile(atPath: logFile.path, contents: Data(line.utf8))
        }
    }

    /// Runs the helper JVM, a JobManager and a TaskManager of a small throw-away cluster under
    /// `work`, each writing its archive when it exits; checks that a JVM starts with each archive
    /// (`-Xshare:on` fails when it cannot be used), then publishes them.
    private func runTraining(_ archives: ClassDataArchives, work: URL) async throws {
        let plan = FlinkProcessPlan(name: "sluice.class-data-training", jobManagerMemoryMiB: 640, taskManagerMemoryMiB: 1024,
                                    flinkConfiguration: ["taskmanager.memory.managed.size": "64m"])
        let directory = ClusterDirectory(root: work)
        let host = configuration.bindAddress
        let restPort = try PortAllocator.freePort(host: host)
        var rpcPort = try PortAllocator.freePort(host: host)
        for _ in 0..<5 where rpcPort == restPort { rpcPort = try PortAllocator.freePort(host: host) }
        try directory.prepare(plan: plan, restPort: restPort, rpcPort: rpcPort, configuration: configuration)
        let base = ProcessInfo.processInfo.environment
        guard let java = JVMStart.java(environment: base) else {
            throw RuntimeError(.startFailed, "no java on PATH or in JAVA_HOME")
        }
        let built = Dictionary(uniqueKeysWithValues: ClassDataArchives.Kind.allCases.map { ($0, work.appendingPathComponent("\($0.rawValue).jsa")) })
        var classpaths: [ClassDataArchives.Kind: String] = [:]

        // The helpers: the same class path Flink's bash-java-utils.sh builds.
        let home = configuration.flinkHome.path
        classpaths[.helpers] = "\(home)/bin/bash-java-utils.jar:\(home)/lib/\(archives.distributionJar)"
        let helper = try await Self.runToEnd(java, ["-XX:TieredStopAtLevel=1", "-XX:ArchiveClassesAtExit=\(built[.helpers]!.path)",
                                                    "-classpath", classpaths[.helpers]!, "org.apache.flink.runtime.util.bash.BashJavaUtils",
                                                    "GET_TM_RESOURCE_PARAMS", "--configDir", directory.conf.path],
                                             environment: base, output: directory.log.appendingPathComponent("helpers.log"))
        guard helper == .exited(0) else { throw RuntimeError(.startFailed, "the helper JVM ended with \(helper)") }

        // A JobManager and a TaskManager, until the TaskManager registered; their archives are written on SIGTERM.
        var records: [ProcessRecord] = []
        do {
            for key in [ProcessKey.jobManager, ProcessKey(role: .taskManager, index: 1)] {
                let environment = JVMStart.environment(role: key.role, plan: plan, base: processEnvironment(key, directory: directory),
                                                       archives: nil, training: built)
                records.append(try startFlinkProcess(key, directory: directory, environment: environment, niceness: 10))
            }
            try await waitForRegistration(restPort: restPort, records: records, log: directory.log)
        } catch {
            // Ended outside this task: its cancellation would cut the grace period's waits short.
            let started = records
            await Task.detached {
                for record in started { await ProcessTable.endGroup(record.pid, startTime: record.startTime, grace: .seconds(2)) }
            }.value
            throw error
        }
        for record in records {
            classpaths[record.key.role == .jobManager ? .jobManager : .taskManager] = Self.classpath(of: record.pid)
        }
        // The JVM writes its archive while it exits: a generous grace period before SIGKILL.
        let started = records
        await Task.detached {
            for record in started { await ProcessTable.endGroup(record.pid, startTime: record.startTime, grace: .seconds(120)) }
        }.value
        try Task.checkCancellation()

        for kind in ClassDataArchives.Kind.allCases {
            guard let classpath = classpaths[kind] else { throw RuntimeError(.startFailed, "cannot read the \(kind.rawValue) class path") }
            let check = try await Self.runToEnd(java, ["-Xshare:on"] + JVMStart.sharing(built[kind]!) + ["-classpath", classpath, "-version"],
                                                environment: base, output: directory.log.appendingPathComponent("check-\(kind.rawValue).log"))
            guard check == .exited(0) else {
                throw RuntimeError(.startFailed, "a JVM cannot start with the \(kind.rawValue) archive (\(check)); see \(directory.log.path)")
            }
        }
        for kind in ClassDataArchives.Kind.allCases { try archives.publish(built[kind]!, as: kind) }
    }

    /// Waits until the training JobManager lists a TaskManager; throws when one of `records` ends,
    /// after 300 s, or on cancellation.
    private func waitForRegistration(restPort: Int, records: [ProcessRecord], log: URL) async throws {
        let url = URL(string: "http://\(configuration.advertisedAddress):\(restPort)/taskmanagers")!
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            var request = HTTPRequest(.GET, url)
            request.timeout = .seconds(3)
            if let response = try? await http.send(request), response.isSuccess,
               let answer = try? JSON.decode([UInt8](response.body)),
               let taskManagers = answer["taskmanagers"]?.listValue, !taskManagers.isEmpty {
                return
            }
            if records.contains(where: { ProcessTable.reap($0.pid) != nil }) {
                throw RuntimeError(.startFailed, "a training process ended early; see \(log.path)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw RuntimeError(.startupTimeout, "the training TaskManager did not register within 300 s")
    }

    /// The value after `-classpath` on the command line of `pid` (the JVM Flink's scripts exec).
    private static func classpath(of pid: pid_t) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let arguments = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let index = arguments.firstIndex(where: { $0 == "-classpath" || $0 == "-cp" }), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// Runs `executable` at low priority and waits (without blocking a thread) for its end, at most 300 s.
    private static func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String], output: URL) async throws -> ExitStatus {
        let pid = try ProcessSpawner.spawn(niceExecutable, ["-n", "10", executable] + arguments, environment: environment, outputPath: output.path)
        let startTime = ProcessTable.stat(pid)?.startTime ?? 0
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            if let status = ProcessTable.reap(pid) { return status }
            do { try await Task.sleep(for: .milliseconds(100)) } catch {
                await ProcessTable.endGroup(pid, startTime: startTime, grace: .seconds(1))
                throw error
            }
        }
        await ProcessTable.endGroup(pid, startTime: startTime, grace: .seconds(1))
        throw RuntimeError(.startupTimeout, "\(executable) did not end within 300 s")
    }

    static let niceExecutable = FileManager.default.isExecutableFile(atPath: "/usr/bin/nice") ? "/usr/bin/nice" : "/bin/nice"
}
