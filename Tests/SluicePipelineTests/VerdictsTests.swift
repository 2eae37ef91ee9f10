import Foundation
import SluiceCore
import SluicePipeline
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import Testing

/// The policy stage of the flow: a Deny empties its cluster's plan, a Warn does not, and every
/// violation is returned. Admission semantics as the API server has them
/// (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating):
/// a failed validation of a binding with `Deny` rejects the request, `Warn` only warns.
@Suite("Verdicts gate a plan")
struct VerdictsTests {
    static func tree() throws -> TemporaryDirectory {
        let dir = try TwoSites.write(parallelism: ["a": 64, "b": 2], prefix: "sluice-verdicts")
        for (name, action, limit) in [("small-jobs", "Deny", 32), ("tiny-jobs", "Warn", 4)] {
            _ = try dir.write("policies/\(name).yaml", """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: \(name)}
                spec:
                  matchConstraints:
                    resourceRules: [{apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}]
                  validations:
                    - expression: "object.spec.job.parallelism <= \(limit)"
                      message: "parallelism above \(limit)"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: \(name)}
                spec: {policyName: \(name), validationActions: [\(action)]}
                """)
        }
        return dir
    }

    @Test("a Deny empties only its cluster's plan; warnings are reported, not enforced")
    func gate() throws {
        let dir = try Self.tree()
        let tree = DirectoryTree(path: dir.path)
        let pipeline = Pipeline(stateDirectory: dir.url.appendingPathComponent("state"))
        let specs = try pipeline.load(tree, revision: "r")
        let state = try pipeline.render(specs)
        let plan = Plan(revision: "r", clusters: state.clusters.map { Planner().plan($0, live: []) })
        #expect(plan.clusters.allSatisfy { $0.failure == nil && $0.changes.count == 1 })

        let gated = Verdicts.gate(plan, specs: specs, engine: try Verdicts.engine(tree, policies: "policies", specs: specs))
        let a = try #require(gated.plan.clusters.first { $0.cluster.name == "a" })
        let b = try #require(gated.plan.clusters.first { $0.cluster.name == "b" })
        guard case .deniedByPolicy(let denials) = a.failure else {
            Issue.record("cluster a is denied: \(String(describing: a.failure))")
            return
        }
        #expect(denials.map(\.policy) == ["small-jobs"])
        #expect(a.actions.isEmpty, "a denied cluster applies nothing")
        #expect(b.failure == nil && b.changes.count == 1, "the Deny on a does not touch b")
        // a's job breaks both policies; b's breaks neither.
        #expect(gated.violations["a"]?.map(\.policy).sorted() == ["small-jobs", "tiny-jobs"])
        #expect(gated.violations["a"]?.filter(\.denies).count == 1)
        #expect(gated.violations["b"]?.isEmpty == true, "a clean cluster reports no violations, so its gauge reads 0")
    }
}
