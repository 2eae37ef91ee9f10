import Foundation
import SluiceCore
import SluiceGit
import SluicePipeline
import SluiceServer
import SluiceSync
import SluiceTestSupport
import Testing

/// `sluice_policy_violations` on `/metrics`: the gauge `sluice serve` sets from the policy verdicts
/// of each round's plan, here against the fake Kubernetes API server.
@Suite("Policy violations on /metrics")
struct PolicyViolationMetricsTests {
    /// A ConfigMap in `mode`, a policy that denies mode `fast` and one that warns (and audits)
    /// when the `team` label is missing.
    static func files(kubeconfig: String, mode: String) -> [String: String] {
        [
            "clusters/k.yaml": """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: k8s, labels: {purpose: test}}
                spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(kubeconfig), context: admin}}
                """,
            "environments/e.yaml": """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: prod}
                spec: {namespace: apps, clusters: {matchLabels: {purpose: test}}, jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}}
                """,
            "jobs/settings.yaml": """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, labels: {app.kubernetes.io/part-of: shop}}
                data: {mode: \(mode)}
                """,
            "policies/no-fast-mode.yaml": """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: no-fast-mode}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                      - {apiGroups: [""], apiVersions: ["v1"], operations: [CREATE, UPDATE], resources: [configmaps]}
                  validations:
                    - expression: "object.data.mode != 'fast'"
                      message: "mode fast is not allowed"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: no-fast-mode}
                spec: {policyName: no-fast-mode, validationActions: [Deny]}
                """,
            "policies/team-label.yaml": """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: team-label}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                      - {apiGroups: [""], apiVersions: ["v1"], operations: [CREATE, UPDATE], resources: [configmaps]}
                  validations:
                    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
                      message: "say which team owns it"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: team-label}
                spec: {policyName: team-label, validationActions: [Warn, Audit]}
                """,
        ]
    }

    /// The value of one series in Prometheus exposition text, or nil when it is absent.
    static func value(_ exposition: String, _ series: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    @Test("a round whose plan violates policies sets the gauge per cluster and action; a fixed violation goes back to 0")
    func violationsGauge() async throws {
        let fake = try KubeFakeServer()
        // The operator of this host allows the fake's kubeconfig folder; specs may name it.
        HostPathPolicy.shared.allow(URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path)
        let fixture = try GitFixtureRepo()
        try fixture.commit("fast mode", files: Self.files(kubeconfig: fake.kubeconfigPath, mode: "fast"))
        let state = try TemporaryDirectory(prefix: "sluice-violations-state")
        let options = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        let loop = ReconcileLoop(repository: try GitRepository.open(path: fixture.path), pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "HEAD", interval: .seconds(3600), options: options)) { _ in }
        let metrics = SluiceMetrics()
        // As `sluice serve` wires it: every finished round feeds the metrics.
        await loop.observe { metrics.record($0, journal: nil) }
        #expect(Self.value(metrics.exposition(), #"sluice_policy_violations{cluster="k8s",action="deny"}"#) == nil)

        let denied = await loop.round(reason: .start)
        #expect(denied.plan?.clusters.first?.failure?.description.contains("mode fast is not allowed") == true, "\(denied.message)")
        var text = metrics.exposition()
        #expect(Self.value(text, #"sluice_policy_violations{cluster="k8s",action="deny"}"#) == 1, "\(text)")
        #expect(Self.value(text, #"sluice_policy_violations{cluster="k8s",action="warn"}"#) == 1)
        #expect(Self.value(text, #"sluice_policy_violations{cluster="k8s",action="audit"}"#) == 1)

        // The next commit fixes the denied mode; the missing label still warns.
        try fixture.commit("safe mode", files: Self.files(kubeconfig: fake.kubeconfigPath, mode: "safe"))
        let allowed = await loop.round(reason: .api)
        #expect(allowed.plan?.clusters.first?.failure == nil, "\(allowed.message)")
        text = metrics.exposition()
        #expect(Self.value(text, #"sluice_policy_violations{cluster="k8s",action="deny"}"#) == 0, "\(text)")
        #expect(Self.value(text, #"sluice_policy_violations{cluster="k8s",action="warn"}"#) == 1)
        #expect(Self.value(text, #"sluice_policy_violations{cluster="k8s",action="audit"}"#) == 1)
    }
}
