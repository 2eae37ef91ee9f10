import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceTestSupport
import Testing

@Suite("Loading ValidatingAdmissionPolicies")
struct PolicyLoaderTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("the repository's own policies load, every policy bound, params found")
    func ownPolicies() throws {
        let set = try PolicyLoader.load(from: DirectoryTree(path: Self.repositoryRoot.path), path: "policies", specs: nil)
        #expect(set.policies.count >= 12)
        #expect(Set(set.bindings.map(\.policyName)) == Set(set.policies.map(\.name)))
        #expect(set.warnings.isEmpty, "\(set.warnings)")
        #expect(set.parameterObjects.map(\.name).sorted() == ["allowed-registries", "edge-limits"])
        let edge = try #require(set.policy(named: "edge-memory-cap"))
        #expect(edge.paramKind?.kind == "ConfigMap")
        #expect(edge.matchConditions.map(\.name) == ["on-edge"])
        #expect(edge.validations.first?.expression.location.file == "policies/edge-memory-cap.yaml")
        #expect(set.bindings.first { $0.policyName == "durable-checkpoints" }?.validationActions == [.warn])
        #expect(ResourceNames.plural(of: "FlinkDeployment") == "flinkdeployments")
        #expect(ResourceNames.plural(of: "NetworkPolicy") == "networkpolicies")
        #expect(ResourceNames.plural(of: "Ingress") == "ingresses")
    }

    @Test("binding mistakes are reported at their file and line")
    func bindingErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.write("p.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: b}
            spec:
              policyName: missing
              validationActions: [Deny, Warn, Reject]
            """)
        do {
            _ = try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil)
            Issue.record("expected errors")
        } catch let error as DiagnosticError {
            let text = error.description
            #expect(text.contains("p.yaml:6:35: spec.validationActions: unsupported value \"Reject\""))
            #expect(text.contains("Deny and Warn may not be used together"))
            #expect(text.contains("names policy missing, which does not exist"))
        }
    }

    @Test("a policy without matchConstraints or validations says what to add")
    func policyErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.write("p.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\nspec: {failurePolicy: Sometimes}\n")
        do {
            _ = try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil)
            Issue.record("expected errors")
        } catch let error as DiagnosticError {
            let text = error.description
            #expect(text.contains("spec.failurePolicy: unsupported value \"Sometimes\"; expected one of: Fail, Ignore"))
            #expect(text.contains("spec.matchConstraints: required field is missing"))
        }
    }
}
