import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceTestSupport
import Testing

/// The inputs of one object are converted for CEL once and shared by every expression; what
/// changes between evaluations (each parameter object, the variables) must still be seen.
@Suite("Policy inputs between evaluations")
struct PolicyInputsTests {
    @Test("every parameter object a binding selects is seen by the variables and validations evaluated with it")
    func everyParameterObject() throws {
        let dir = try TemporaryDirectory()
        try dir.write("parallelism-cap.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: parallelism-cap}
            spec:
              failurePolicy: Fail
              paramKind: {apiVersion: v1, kind: ConfigMap}
              matchConstraints:
                resourceRules:
                  - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}
              variables:
                - name: limit
                  expression: int(params.data.maxParallelism)
              validations:
                - expression: object.spec.job.parallelism <= variables.limit
                  messageExpression: "'parallelism ' + string(object.spec.job.parallelism) + ' is over ' + string(variables.limit)"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: parallelism-cap}
            spec:
              policyName: parallelism-cap
              paramRef: {selector: {matchLabels: {cap: parallelism}}, parameterNotFoundAction: Deny}
              validationActions: [Deny]
            """)
        // Two parameter objects: the loose one first, so a stale conversion would hide the tight one.
        try dir.write("params.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: loose, labels: {cap: parallelism}}
            data: {maxParallelism: "10"}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: tight, labels: {cap: parallelism}}
            data: {maxParallelism: "3"}
            """)
        let policies = try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil)
        #expect(policies.parameterObjects.map(\.name).sorted() == ["loose", "tight"])
        let engine = try PolicyEngine(policies)
        let specs = try PolicyFixtureTests.loadSpecs(PolicyFixtureTests.files)
        var deployments = 0
        var messages: [String] = []
        for cluster in try Renderer().render(specs).clusters {
            for object in cluster.objects where object.identity.kind == "FlinkDeployment" {
                deployments += 1
                messages += engine.evaluate(.init(object: object.value, oldObject: nil, identity: object.identity, source: object.source,
                                                  cluster: cluster.cluster, environment: specs.environment(named: object.environment),
                                                  environmentName: object.environment)).map(\.message)
            }
        }
        #expect(deployments > 0)
        #expect(messages == Array(repeating: "parallelism 4 is over 3", count: deployments), "\(messages)")
    }

    /// Kubernetes gives each variable as the CEL value its expression made
    /// (staging/src/k8s.io/apiserver/pkg/admission/plugin/cel/composition.go: a lazily evaluated
    /// `ref.Val`), so a map with int keys or an optional stays what it is; a conversion through
    /// YAML values would drop the first and unwrap the second.
    @Test("variables are the CEL values their expressions made")
    func variablesStayCELValues() throws {
        let dir = try TemporaryDirectory()
        try dir.write("variables.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: cel-variables}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}
              variables:
                - {name: byIndex, expression: "{1: 'one', 2: 'two'}"}
                - {name: maybe, expression: "optional.of(object.spec.job.parallelism)"}
              validations:
                - expression: "variables.byIndex[2] == 'two'"
                  message: int keys lost
                - expression: "variables.maybe.hasValue() && variables.maybe.value() == object.spec.job.parallelism"
                  message: optional unwrapped
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: cel-variables}
            spec: {policyName: cel-variables, validationActions: [Deny]}
            """)
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil))
        let subjects = try PolicyFixtureTests.createdSubjects(PolicyFixtureTests.loadSpecs(PolicyFixtureTests.files), kind: "FlinkDeployment")
        #expect(!subjects.isEmpty)
        #expect(engine.evaluate(subjects).map(\.message) == [])
        #expect(subjects.flatMap { engine.evaluate($0) }.map(\.message) == [])
    }
}
