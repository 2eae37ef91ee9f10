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

    /// The default layout (and `sluice-bench generate-specs`) keeps policies/ inside the spec root, so
    /// the spec loader reads those files first; the policy folder must not add them a second time.
    @Test("policies inside the spec root are loaded once: one violation per object and policy")
    func policiesInsideSpecRoot() throws {
        let dir = try TemporaryDirectory()
        for (path, text) in PolicyFixtureTests.files { try dir.write(path, text) }
        let policyRoot = Self.repositoryRoot.appendingPathComponent("policies")
        let policyFiles = try DirectoryTree(path: policyRoot.path).files(under: "").filter { $0.hasSuffix(".yaml") }
        for file in policyFiles {
            try dir.write("policies/\(file)", String(decoding: try DirectoryTree(path: policyRoot.path).read(file), as: UTF8.self))
        }
        // An image from a registry outside the allowed-registries param: a paramRef policy.
        let jobPath = "jobs/job.yaml"
        let job = try #require(PolicyFixtureTests.files[jobPath])
        try dir.write(jobPath, job.replacingOccurrences(of: "ghcr.io/example/orders:1.2.3", with: "quay.io/elsewhere/orders:1.2.3"))

        let tree = DirectoryTree(path: dir.path)
        let specs = try SpecLoader().load(from: tree, revision: "test")
        let set = try PolicyLoader.load(from: tree, path: "policies", specs: specs)
        let alone = try PolicyLoader.load(from: DirectoryTree(path: Self.repositoryRoot.path), path: "policies", specs: nil)
        #expect(set.policies.map(\.name).sorted() == alone.policies.map(\.name).sorted())
        #expect(set.bindings.count == alone.bindings.count)
        #expect(set.parameterObjects.filter { $0.kind == "ConfigMap" }.map(\.name).sorted() == ["allowed-registries", "edge-limits"])

        let engine = try PolicyEngine(set, engine: CELExpressionEngine())
        let state = try Renderer().render(specs)
        var registryViolations = 0
        var deployments = 0
        for cluster in state.clusters {
            for object in cluster.objects where object.identity.kind == "FlinkDeployment" {
                deployments += 1
                let found = engine.evaluate(.init(object: object.value, oldObject: nil, identity: object.identity, source: object.source,
                                                  cluster: cluster.cluster, environment: specs.environment(named: object.environment),
                                                  environmentName: object.environment))
                registryViolations += found.filter { $0.policy == "allowed-image-registries" }.count
            }
        }
        #expect(deployments == 3)
        #expect(registryViolations == deployments)
    }
}
