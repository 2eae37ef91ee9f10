import Foundation
import SluiceCore
import SluiceSpec
import SluiceTestSupport

/// Small spec repositories written to temporary directories, for loader and render tests.
enum SpecFixtures {
    static let cluster = """
        apiVersion: sluice.dev/v1alpha1
        kind: Cluster
        metadata:
          name: %NAME%
          labels:
            stage: %STAGE%
        spec:
          tier: %TIER%
          driver: %DRIVER%

        """

    static func cluster(_ name: String, tier: String = "public", driver: String = "kubernetes", stage: String = "production") -> String {
        cluster.replacingOccurrences(of: "%NAME%", with: name).replacingOccurrences(of: "%TIER%", with: tier)
            .replacingOccurrences(of: "%DRIVER%", with: driver).replacingOccurrences(of: "%STAGE%", with: stage)
    }

    static func environment(_ name: String, namespace: String, stage: String = "production", extra: String = "") -> String {
        """
        apiVersion: sluice.dev/v1alpha1
        kind: Environment
        metadata:
          name: \(name)
        spec:
          namespace: \(namespace)
          clusters:
            matchLabels:
              stage: \(stage)
        \(extra)
        """
    }

    static func deployment(_ name: String, parallelism: Int = 2, labels: String = "team: a", annotations: String = "") -> String {
        """
        apiVersion: flink.apache.org/v1beta1
        kind: FlinkDeployment
        metadata:
          name: \(name)
          labels:
            \(labels)
        \(annotations.isEmpty ? "" : "  annotations:\n    \(annotations)")
        spec:
          image: flink:2.1
          flinkVersion: v2_1
          jobManager:
            resource: {memory: 1024m, cpu: 1}
          taskManager:
            resource: {memory: 1024m, cpu: 1}
          job:
            jarURI: local:///opt/flink/job.jar
            parallelism: \(parallelism)
            upgradeMode: savepoint

        """
    }

    /// Writes `files` into a fresh directory and loads it.
    static func load(_ files: [String: String], revision: String = "test") throws -> SpecSet {
        let dir = try TemporaryDirectory()
        for (path, text) in files { try dir.write(path, text) }
        return try SpecLoader().load(from: DirectoryTree(path: dir.path), revision: revision)
    }

    /// The diagnostics loading `files` produces; fails the caller's expectation if it loads.
    static func diagnostics(_ files: [String: String]) throws -> [Diagnostic] {
        do {
            _ = try load(files)
            return []
        } catch let error as DiagnosticError {
            return error.diagnostics
        }
    }

    /// The repository's own specs-example folder.
    static var specsExample: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("specs-example")
    }
}
