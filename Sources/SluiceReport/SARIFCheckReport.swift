import SluicePolicy
import SluiceYAML

/// `sluice check --output sarif`: SARIF 2.1.0, which GitHub code scanning and other CI tools read.
/// Each policy is a rule; each violation a result located at the object's source file and line.
enum SARIFCheckReport {
    static let schema = "https://json.schemastore.org/sarif-2.1.0.json"

    static func render(_ report: CheckReport) -> String {
        let policies = Array(Set(report.violations.map(\.policy))).sorted()
        var rules: [Value] = policies.map { policy in
            let first = report.violations.first { $0.policy == policy }
            var rule = Mapping()
            rule["id"] = .string(policy)
            rule["name"] = .string(policy)
            rule["shortDescription"] = ["text": .string("ValidatingAdmissionPolicy \(policy)")]
            if let source = first?.policySource {
                rule["properties"] = ["policySource": .string(source.description)]
            }
            return .map(rule)
        }
        var results: [Value] = report.violations.map { v in
            var result = Mapping()
            result["ruleId"] = .string(v.policy)
            result["ruleIndex"] = .int(policies.firstIndex(of: v.policy) ?? 0)
            result["level"] = .string(v.level)
            result["message"] = ["text": .string("\(v.message) (\(v.object) on cluster \(v.cluster), environment \(v.environment))")]
            result["locations"] = [[
                "physicalLocation": [
                    "artifactLocation": ["uri": .string(v.objectSource.file)],
                    "region": ["startLine": .int(v.objectSource.line), "startColumn": .int(v.objectSource.column)],
                ],
            ]]
            result["properties"] = [
                "cluster": .string(v.cluster), "environment": .string(v.environment),
                "binding": .string(v.binding), "actions": .list(v.actions.map { .string($0.rawValue) }),
            ]
            return .map(result)
        }
        if let s = report.signature, !s.verified {
            rules.append(["id": .string(CommitSignatureFinding.rule), "name": "commit-signature",
                          "shortDescription": ["text": "The revision is signed by a trusted key"]])
            results.append([
                "ruleId": .string(CommitSignatureFinding.rule), "ruleIndex": .int(rules.count - 1), "level": .string(s.level),
                "message": ["text": .string(s.message)],
                "properties": ["revision": .string(s.revision), "reason": .string(s.reason ?? ""), "fingerprint": .string(s.fingerprint ?? "")],
            ])
        }
        let document: Value = [
            "$schema": .string(schema),
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": [
                    "name": "sluice", "informationUri": "https://sluice.dev", "version": "0.1.0",
                    "rules": .list(rules),
                ]],
                "results": .list(results),
                "properties": ["base": .string(report.base), "head": .string(report.head)],
            ]],
        ]
        return JSON.encode(document, pretty: true) + "\n"
    }
}
