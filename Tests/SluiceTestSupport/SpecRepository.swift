import Foundation
import SluiceCore

/// A spec repository on disk for the tests that run Flink (flink driver, runtime, serve): one
/// flink-driver cluster (plus optional extra clusters) in one environment, and one
/// FlinkDeployment running the counting test job.
public struct SpecRepository: Sendable {
    public let root: URL
    public let jar: URL
    public let output: URL
    public let savepoints: URL

    public struct Job: Sendable {
        public var tag = "v1"
        public var parallelism = 1
        public var upgradeMode = "savepoint"
        public var state = "running"
        public var present = true
        public var savepointTriggerNonce: Int?
        public var savepointRedeployNonce: Int?
        public var initialSavepointPath: String?
        /// `execution.checkpointing.dir` in the spec (else the cluster's, if it has one).
        public var checkpointDir: String?
        /// For runtime clusters: the processes' memory (`spec.jobManager/taskManager.resource.memory`).
        public var jobManagerMemory: String?
        public var taskManagerMemory: String?
        /// More `spec.flinkConfiguration` keys.
        public var configuration: [String: String] = [:]

        public init() {}
    }

    public init(root: URL, jar: URL, output: URL, savepoints: URL) throws {
        self.root = root
        self.jar = jar
        self.output = output
        self.savepoints = savepoints
        // The host folders its specs name: the operator allows them (in-process here; a spawned
        // sluice gets `allowedRoots` in SLUICE_ALLOWED_ROOTS).
        allowedRoots.forEach(HostPathPolicy.shared.allow)
        for folder in ["clusters", "environments", "jobs"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try write("environments/test.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata:
              name: test
            spec:
              namespace: streaming
              wave: 0
              clusters:
                matchLabels:
                  purpose: test
              jobs:
                matchLabels:
                  app.kubernetes.io/part-of: sluice-tests
            """)
    }

    /// A flink-driver cluster (tier private) at `url`.
    public func cluster(_ name: String, url: URL) throws {
        try cluster(name, tier: "private", driver: "flink", settings: ["url: \(url.absoluteString)"])
    }

    /// An embedded runtime cluster (tier edge) keeping its state in `stateDirectory`.
    public func runtimeCluster(_ name: String, stateDirectory: URL) throws {
        try cluster(name, tier: "edge", driver: "runtime", settings: ["stateDirectory: \(stateDirectory.path)"])
    }

    /// The folders this repository's specs name on the host.
    public var allowedRoots: [String] {
        [jar.deletingLastPathComponent().path, output.path, savepoints.path, root.deletingLastPathComponent().path]
    }

    /// A Kubernetes cluster (tier public) reached through `kubeconfig`'s `context`.
    public func kubernetesCluster(_ name: String, kubeconfig: String, context: String) throws {
        HostPathPolicy.shared.allow(URL(fileURLWithPath: kubeconfig).deletingLastPathComponent().path)
        try cluster(name, tier: "public", driver: "kubernetes", settings: ["kubeconfig: \(kubeconfig)", "context: \(context)"])
    }

    /// A Cluster labelled `purpose: test` (so the test environment selects it); `settings` are the
    /// lines of its `spec.<driver>` block.
    private func cluster(_ name: String, tier: String, driver: String, settings: [String]) throws {
        try write("clusters/\(name).yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata:
              name: \(name)
              labels:
                purpose: test
            spec:
              tier: \(tier)
              driver: \(driver)
              \(driver):
            \(settings.map { "    " + $0 }.joined(separator: "\n"))
            """)
    }

    public func job(_ job: Job) throws {
        let file = root.appendingPathComponent("jobs/counter.yaml")
        guard job.present else {
            try? FileManager.default.removeItem(at: file)
            return
        }
        try write("jobs/counter.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata:
              name: counter
              labels:
                app.kubernetes.io/part-of: sluice-tests
            spec:
              flinkVersion: v2_0
            \(job.jobManagerMemory.map { "  jobManager: {resource: {memory: \($0)}}" } ?? "")
            \(job.taskManagerMemory.map { "  taskManager: {replicas: 1, resource: {memory: \($0)}}" } ?? "")
              flinkConfiguration:
                taskmanager.numberOfTaskSlots: "2"
                execution.checkpointing.interval: 1s
                execution.checkpointing.savepoint-dir: \(savepoints.absoluteString)
            \(job.configuration.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }.joined(separator: "\n"))
            \(job.checkpointDir.map { "    execution.checkpointing.dir: \($0)" } ?? "")
              job:
                jarURI: \(jar.absoluteString)
                entryClass: dev.sluice.testjob.CountingJob
                args: ["--keys", "4", "--rate", "40", "--output", "\(output.path)", "--tag", "\(job.tag)"]
                parallelism: \(job.parallelism)
                upgradeMode: \(job.upgradeMode)
                state: \(job.state)
            \(job.savepointTriggerNonce.map { "    savepointTriggerNonce: \($0)" } ?? "")
            \(job.savepointRedeployNonce.map { "    savepointRedeployNonce: \($0)" } ?? "")
            \(job.initialSavepointPath.map { "    initialSavepointPath: \($0)" } ?? "")
            """)
    }

    public func write(_ path: String, _ text: String) throws {
        try (text + "\n").write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }
}

/// The counts the test job writes: lines `tag key count` in `counts-<subtask>.txt`.
public struct Counts: Sendable {
    public let output: URL

    public init(output: URL) { self.output = output }

    /// Every (tag, key, count) written so far.
    public func all() -> [(tag: String, key: Int, count: Int)] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        return files.filter { $0.hasPrefix("counts-") }.flatMap { file -> [(String, Int, Int)] in
            let text = (try? String(contentsOf: output.appendingPathComponent(file), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count == 3, let key = Int(fields[1]), let count = Int(fields[2]) else { return nil }
                return (String(fields[0]), key, count)
            }
        }
    }

    public func counts(tag: String, key: Int = 0) -> [Int] { all().filter { $0.tag == tag && $0.key == key }.map(\.count) }

    /// Waits (bounded) until `tag` has written a count of at least `atLeast` for key 0.
    public func await(tag: String, atLeast: Int = 1, timeout: Duration = .seconds(60)) async throws -> [Int] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let counts = counts(tag: tag)
            if let max = counts.max(), max >= atLeast { return counts }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CountsError(description: "the job with tag \(tag) wrote no count ≥ \(atLeast) for key 0 within \(timeout); counts so far: \(counts(tag: tag).suffix(5))")
    }
}

public struct CountsError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
