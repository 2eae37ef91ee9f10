import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync
import Testing

/// A Cluster spec cannot make Sluice read host files outside the operator's roots: a CA file, a
/// kubeconfig, a token file or a runtime state directory named by a commit is refused before use.
@Suite("Cluster specs name host paths only under allowed roots")
struct HostPathTests {
    static func clusters(_ specs: [String: String]) throws -> [ClusterSpec] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hostpath-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (name, spec) in specs {
            let file = root.appendingPathComponent("clusters/\(name).yaml")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: \(name)}
                spec: \(spec)
                """.write(to: file, atomically: true, encoding: .utf8)
        }
        return try SpecLoader().load(from: DirectoryTree(path: root.path), revision: "test").clusters
    }

    @Test("caFile, kubeconfig, token file and runtime stateDirectory outside the roots are refused with a hint")
    func refused() throws {
        let clusters = try Self.clusters([
            "ca": "{tier: public, driver: flink, flink: {url: 'https://127.0.0.1:1', caFile: /etc/ssl/private/host.key}}",
            "token": "{tier: public, driver: flink, flink: {url: 'https://127.0.0.1:1', bearerToken: {file: /root/.ssh/id_ed25519}}}",
            "kube": "{tier: public, driver: kubernetes, kubernetes: {kubeconfig: /root/.kube/config}}",
            "runtime": "{tier: edge, driver: runtime, runtime: {stateDirectory: /etc/cron.d}}",
        ])
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hostpath-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let journal = try Journal(directory: state)
        let factory = DriverFactory(stateDirectory: state)
        let expected = ["ca": "spec.flink.caFile", "token": "token file", "kube": "spec.kubernetes.kubeconfig", "runtime": "spec.runtime.stateDirectory"]
        for cluster in clusters {
            let error = #expect(throws: DriverError.self, "\(cluster.name)") { _ = try factory.driver(for: cluster, journal: journal) }
            #expect(error?.message.contains(expected[cluster.name]!) == true, "\(String(describing: error))")
            #expect(error?.hint?.contains("--allowed-path-root") == true)
        }
    }
}
