import Foundation
import SluiceTestSupport
import SluiceYAML
import Testing

/// deploy/ is what users apply to run Sluice in Kubernetes: it must load as a spec repository
/// and pass Sluice's own policies, like any workload managed from Git.
@Suite("deploy/ manifests")
struct DeployManifestTests {
    /// A spec repository whose jobs are deploy/'s manifests, placed on one production cluster.
    static func repository() throws -> TemporaryDirectory {
        let repo = try TemporaryDirectory(prefix: "sluice-deploy")
        let deploy = SluiceBinary.repositoryRoot.appendingPathComponent("deploy")
        let jobs = repo.url.appendingPathComponent("specs/jobs")
        try FileManager.default.createDirectory(at: jobs, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: deploy.path) where file.hasSuffix(".yaml") {
            try FileManager.default.copyItem(at: deploy.appendingPathComponent(file), to: jobs.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: SluiceBinary.repositoryRoot.appendingPathComponent("policies"), to: repo.url.appendingPathComponent("policies"))
        _ = try repo.write("specs/clusters/ops.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: ops, labels: {stage: production}}
            spec: {tier: public, driver: kubernetes, kubernetes: {inCluster: true}}
            """)
        _ = try repo.write("specs/environments/production.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: production, labels: {stage: production}}
            spec:
              namespace: sluice-system
              clusters: {matchLabels: {stage: production}}
              jobs: {matchLabels: {app.kubernetes.io/name: sluice}}
            """)
        try git(["init", "-q"], in: repo.url)
        try git(["add", "-A"], in: repo.url)
        try git(["commit", "-qm", "deploy"], in: repo.url)
        return repo
    }

    @Test("every manifest loads and renders, and Sluice's policies pass on them all")
    func policiesPass() async throws {
        let repo = try Self.repository()
        let rendered = try await SluiceBinary.run(["render", "--repo", repo.path, "--path", "specs", "--output", "json"])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let kinds = try JSON.decode(rendered.stdout)["clusters"]?[0]?["objects"]?.listValue?.compactMap { $0[path: "kind"]?.stringValue } ?? []
        for kind in ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap",
                     "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "PrometheusRule"] {
            #expect(kinds.contains(kind), "deploy/ has no \(kind): \(kinds)")
        }
        let check = try await SluiceBinary.run(["check", "--repo", repo.path, "--base", "HEAD", "--head", "HEAD", "--path", "specs", "--output", "json"])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        let summary = try JSON.decode(check.stdout)["summary"]
        #expect(summary?["violations"]?.intValue == 0, "\(check.stdout)")
    }
}
