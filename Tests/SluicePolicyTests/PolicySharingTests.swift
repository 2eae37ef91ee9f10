import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceTestSupport
import SluiceYAML
import Testing

/// `PolicyEngine.evaluate(_: [Subject])` evaluates a policy once for all subjects that agree on
/// everything the policy can read. Its answer must be exactly what evaluating every subject on
/// its own gives: same violations, same order, each naming its own cluster and object.
@Suite("Policy evaluations shared between subjects")
struct PolicySharingTests {
    static let policies = """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: first-config-key}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}
          validations:
            - expression: "false"
              messageExpression: "'first key ' + object.spec.flinkConfiguration.map(k, k)[0]"
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: first-config-key}
        spec: {policyName: first-config-key, validationActions: [Warn]}
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: cluster-name}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}
          validations:
            - expression: "false"
              messageExpression: "'on ' + cluster.name"
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: cluster-name}
        spec: {policyName: cluster-name, validationActions: [Deny]}
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: tier-only}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: ["*"]}
          validations:
            - expression: "cluster.tier == 'none'"
              messageExpression: "'tier ' + cluster.tier + ', ' + request.operation"
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: tier-only}
        spec: {policyName: tier-only, validationActions: [Deny]}
        """

    /// Every rendered object of the fixture on every cluster, created and updated, plus one job
    /// whose configuration keys are in the opposite order: equal as YAML values, not as CEL
    /// inputs (a comprehension sees the order).
    static func subjects() throws -> [PolicyEngine.Subject] {
        let specs = try PolicyFixtureTests.loadSpecs(PolicyFixtureTests.files)
        var out: [PolicyEngine.Subject] = []
        for cluster in try Renderer().render(specs).clusters {
            for object in cluster.objects {
                for old in [Value?.none, .some(object.value)] {  // Value? explicitly: a bare nil would be Value.null, an UPDATE
                    out.append(.init(object: object.value, oldObject: old, identity: object.identity, source: object.source,
                                     cluster: cluster.cluster, environment: specs.environment(named: object.environment),
                                     environmentName: object.environment))
                }
            }
        }
        var reordered = try #require(out.first { $0.identity.kind == "FlinkDeployment" })
        var value = try #require(reordered.object)
        let configuration = try #require(value["spec"]?["flinkConfiguration"]?.mapValue)
        var spec = try #require(value["spec"]?.mapValue)
        spec["flinkConfiguration"] = .map(Mapping(configuration.entries.reversed()))
        var root = try #require(value.mapValue)
        root["spec"] = .map(spec)
        value = .map(root)
        #expect(value == reordered.object)  // equal as YAML values
        reordered.object = value
        out.append(reordered)
        return out
    }

    @Test("shared evaluations give each subject exactly its own violations")
    func sameAsOneByOne() throws {
        let dir = try TemporaryDirectory()
        try dir.write("policies.yaml", Self.policies)
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil))
        let subjects = try Self.subjects()
        let shared = engine.evaluate(subjects)
        let alone = subjects.flatMap { engine.evaluate($0) }
        #expect(shared == alone)
        let messages = Set(shared.map(\.message))
        #expect(messages.isSuperset(of: ["on pub", "on dc", "on edge", "tier public, CREATE", "tier private, UPDATE", "tier edge, CREATE"]))
        #expect(messages.filter { $0.hasPrefix("first key ") }.count == 2, "\(messages)")
        #expect(Set(shared.filter { $0.policy == "cluster-name" }.map(\.cluster)) == ["pub", "dc", "edge"])
    }

    /// Which bindings select an object is found once per object, operation and namespace: the
    /// subjects of `subjects()` hold each object twice, once as a CREATE and once as an UPDATE.
    @Test("one object seen as a CREATE and as an UPDATE is selected as each operation says")
    func selectionFollowsTheOperation() throws {
        let dir = try TemporaryDirectory()
        try dir.write("policies.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: updates-only}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [UPDATE], resources: [flinkdeployments]}
              validations:
                - expression: "false"
                  messageExpression: "'update on ' + cluster.name"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: updates-only}
            spec: {policyName: updates-only, validationActions: [Deny]}
            """)
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil))
        let subjects = try Self.subjects().filter { $0.identity.kind == "FlinkDeployment" }
        let updates = subjects.filter { $0.oldObject != nil }
        #expect(!updates.isEmpty && updates.count < subjects.count)
        let shared = engine.evaluate(subjects)
        #expect(shared == subjects.flatMap { engine.evaluate($0) })
        #expect(shared.map(\.message) == updates.map { "update on \($0.cluster.name)" })
    }

    /// A binding whose parameter objects are missing denies every object it selects
    /// (`parameterNotFoundAction: Deny`), each with its own violation among the evaluated ones.
    @Test("a missing parameter object is each subject's own violation, among the evaluated ones")
    func missingParameters() throws {
        let dir = try TemporaryDirectory()
        try dir.write("policies.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: needs-params}
            spec:
              paramKind: {apiVersion: v1, kind: ConfigMap}
              matchConstraints:
                resourceRules:
                  - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}
              validations:
                - expression: "true"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: needs-params}
            spec:
              policyName: needs-params
              paramRef: {selector: {matchLabels: {absent: "yes"}}, parameterNotFoundAction: Deny}
              validationActions: [Deny]
            ---
            \(Self.policies)
            """)
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil))
        let subjects = try Self.subjects().filter { $0.identity.kind == "FlinkDeployment" }
        let shared = engine.evaluate(subjects)
        #expect(shared == subjects.flatMap { engine.evaluate($0) })
        let missing = shared.filter { $0.message == "no parameter object found for binding needs-params" }
        #expect(missing.count == subjects.count)
        #expect(missing.map(\.cluster) == subjects.map(\.cluster.name))
    }

    @Test("the repository's policies give the same violations shared as one by one")
    func repositoryPolicies() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: root.path), path: "policies", specs: nil))
        var files = PolicyFixtureTests.files
        // Break a few policies so that there is something to report.
        files["jobs/job.yaml"] = files["jobs/job.yaml"]!.replacingOccurrences(of: "ghcr.io/example/orders:1.2.3", with: "docker.io/orders:latest")
            .replacingOccurrences(of: "replicas: 2, resource: {memory: 2048m", with: "replicas: 1, resource: {memory: 2048m")
        let subjects = try PolicyFixtureTests.createdSubjects(PolicyFixtureTests.loadSpecs(files))
        let shared = engine.evaluate(subjects)
        #expect(!shared.isEmpty)
        #expect(shared == subjects.flatMap { engine.evaluate($0) })
    }

    /// Slot values are interned once per subject; the interning must keep the exactness of the
    /// comparison it replaces: CEL sees code points, so "é" (U+00E9) and "e" + U+0301 are
    /// different inputs although Swift's `==` calls them equal, and an int is not a double.
    @Test("subjects whose objects differ only in Unicode form or in int against double are evaluated apart")
    func internedSlotsStayExact() throws {
        let dir = try TemporaryDirectory()
        try dir.write("policies.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: note-size}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: ["*"]}
              validations:
                - expression: "false"
                  messageExpression: "'note ' + string(size(object.spec.note)) + ', half ' + string(object.spec.count / 2)"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: note-size}
            spec: {policyName: note-size, validationActions: [Warn]}
            """)
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil))
        let template = try #require(try Self.subjects().first { $0.identity.kind == "FlinkDeployment" && $0.oldObject == nil })
        func subject(note: String, count: Value) throws -> PolicyEngine.Subject {
            var root = try #require(template.object?.mapValue)
            var spec = try #require(root["spec"]?.mapValue)
            spec["note"] = .string(note)
            spec["count"] = count
            root["spec"] = .map(spec)
            var out = template
            out.object = .map(root)
            return out
        }
        let composed = "\u{E9}", decomposed = "e\u{301}"
        #expect(composed == decomposed)  // equal to Swift, not to CEL
        let subjects = [try subject(note: composed, count: .int(1)), try subject(note: decomposed, count: .int(1)),
                        try subject(note: composed, count: .double(1)), try subject(note: composed, count: .int(1))]
        let shared = engine.evaluate(subjects)
        #expect(shared == subjects.flatMap { engine.evaluate($0) })
        // CEL has no double / int overload: for the double the message expression fails and the
        // validation's default message is used, so that subject was evaluated on its own.
        #expect(shared.map(\.message) == ["note 1, half 0", "note 2, half 0", "failed expression: false", "note 1, half 0"])
    }
}
