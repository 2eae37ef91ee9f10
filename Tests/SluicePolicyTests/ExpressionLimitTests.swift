import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceTestSupport
import Testing

/// A hostile expression in a policy is refused with the policy file, line and column, instead of
/// crashing `sluice check` (issue: a 20,000-term `1+1+…` killed it with SIGSEGV).
@Suite("Policy expression limits")
struct ExpressionLimitTests {
    func compileErrors(_ validation: String) throws -> String {
        let dir = try TemporaryDirectory()
        try dir.write("p.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: p}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: [flink.apache.org], apiVersions: ["*"], operations: [CREATE], resources: [flinkdeployments]}
              validations:
                - expression: \(validation)
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: b}
            spec: {policyName: p, validationActions: [Deny]}
            """)
        let set = try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil)
        let error = try #require(throws: DiagnosticError.self) { try PolicyEngine(set, engine: CELExpressionEngine()) }
        return error.description
    }

    @Test("a 20,000-term + chain points at the operator past the depth limit")
    func deepChain() throws {
        // The expression starts on line 9, column 19; the 250th '+' is its 500th character.
        let text = try compileErrors(Array(repeating: "1", count: 20_000).joined(separator: "+"))
        #expect(text.contains("p.yaml:9:518: policy p: validations[0].expression does not compile: expression recursion limit exceeded"), "\(text.prefix(300))")
    }

    @Test("an RE2 syntax error points at the pattern")
    func backreference() throws {
        let text = try compileErrors(#"object.metadata.name.matches('(a)\\1')"#)
        #expect(text.contains(#"p.yaml:9:48: policy p: validations[0].expression does not compile: invalid matches argument: error parsing regexp: invalid escape sequence: \1"#), "\(text)")
    }

    @Test("an over-long expression is refused at the expression")
    func tooLong() throws {
        let text = try compileErrors("x == '" + String(repeating: "a", count: 100_001) + "'")
        #expect(text.contains("p.yaml:9:19: policy p: validations[0].expression does not compile: expression code point size exceeds limit: size: 100008, limit 100000"), "\(text.prefix(300))")
    }
}
