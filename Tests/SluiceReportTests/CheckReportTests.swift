import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SluiceCore
import SluicePolicy
import SluiceReport
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("sluice check reports")
struct CheckReportTests {
    static func state(parallelism: Int, extraJob: Bool, revision: String) throws -> DesiredState {
        let dir = try TemporaryDirectory()
        try dir.write("c.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: eu-1}\nspec: {tier: public, driver: kubernetes}\n")
        try dir.write("e.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Environment\nmetadata: {name: prod}\nspec: {namespace: flink, clusters: {}}\n")
        try dir.write("jobs/a.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders}
            spec:
              image: flink:2.1
              flinkVersion: v2_1
              job: {jarURI: "local:///job.jar", parallelism: \(parallelism), upgradeMode: savepoint}
            """)
        if extraJob {
            try dir.write("jobs/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n")
        } else {
            try dir.write("jobs/old.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\ndata: {k: v}\n")
        }
        return try Renderer().render(SpecLoader().load(from: DirectoryTree(path: dir.path), revision: revision))
    }

    static func report() throws -> CheckReport {
        let base = try state(parallelism: 2, extraJob: false, revision: "aaaaaaaaaaaaaaaa")
        let head = try state(parallelism: 4, extraJob: true, revision: "bbbbbbbbbbbbbbbb")
        let orders = head.clusters[0].objects.first { $0.name == "orders" }!
        let deny = Violation(policy: "require-ha", binding: "require-ha-prod", actions: [.deny],
                             message: "production jobs need 2 JobManagers, \"HA\" <on>", reason: "Invalid",
                             cluster: "eu-1", environment: "prod", object: orders.identity, objectSource: orders.source,
                             policySource: SourceLocation(file: "policies/ha.yaml", line: 12, column: 21))
        let warn = Violation(policy: "no-latest", binding: "no-latest", actions: [.warn], message: "tag: 100%, a,b",
                             cluster: "eu-1", environment: "prod", object: orders.identity, objectSource: orders.source)
        return CheckReport(base: base.revision, head: head.revision, clusters: head.clusters.map(\.cluster),
                           changes: RevisionDiff.changes(base: base, head: head), violations: [warn, deny])
    }

    @Test("the revision diff finds added, changed (with its class) and removed objects")
    func revisionDiff() throws {
        let report = try Self.report()
        let summary = report.changes.map { "\($0.kind.rawValue) \($0.identity.name)" }
        #expect(summary.sorted() == ["added extra", "changed orders", "removed old"])
        let changed = try #require(report.changes.first { $0.kind == .changed })
        #expect(changed.changes.map(\.path) == ["spec.job.parallelism"])
        // Native mode (no spec.mode): JobSpec.parallelism is SCALE only in STANDALONE, so this restarts the job.
        #expect(changed.changeClass == .upgrade)
        #expect(report.fails())
        #expect(report.denials.count == 1 && report.warnings.count == 1)
    }

    @Test("SARIF 2.1.0: one rule per policy, results located at the object's file and line")
    func sarif() throws {
        let document = try JSON.decode(Self.report().render(.sarif))
        #expect(document["version"] == "2.1.0")
        let run = try #require(document["runs"]?[0])
        #expect(run[path: "tool", "driver", "name"] == "sluice")
        #expect(run[path: "tool", "driver", "rules"]?.listValue?.count == 2)
        let results = run["results"]?.listValue ?? []
        #expect(results.count == 2)
        let error = try #require(results.first { $0["level"] == "error" })
        #expect(error["ruleId"] == "require-ha")
        #expect(error[path: "locations"]?[0]?[path: "physicalLocation", "artifactLocation", "uri"] == "jobs/a.yaml")
        #expect(error[path: "locations"]?[0]?[path: "physicalLocation", "region", "startLine"] == 1)
        let ruleIndex = try #require(error["ruleIndex"]?.intValue)
        #expect(run[path: "tool", "driver", "rules"]?[ruleIndex]?["id"] == "require-ha")
    }

    @Test("JUnit is well-formed XML with a failure per Deny only")
    func junit() throws {
        let text = try Self.report().render(.junit)
        let xml = try XMLDocument(xmlString: text)
        #expect(try xml.nodes(forXPath: "//failure").count == 1)
        #expect(try xml.nodes(forXPath: "//testsuite").count == 1)
        #expect(text.contains("&quot;HA&quot; &lt;on&gt;"))
    }

    @Test("GitHub annotations escape their properties and data")
    func github() throws {
        let lines = try Self.report().render(.github).split(separator: "\n")
        // On the changed line (`job: {... parallelism: 4 ...}`, line 7), not the document's first.
        #expect(lines.contains { $0.hasPrefix("::error file=jobs/a.yaml,line=7,col=") && $0.contains("title=require-ha (eu-1/prod)::") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("::warning ") && $0.contains("tag: 100%25, a,b") })
    }

    @Test("Markdown summarises per cluster and lists violations")
    func markdown() throws {
        let text = try Self.report().render(.markdown)
        #expect(text.hasPrefix("### Sluice: ❌ 1 policy denies this change"))
        #expect(text.contains("| eu-1 | public | 1 | 1 | 1 | 1 | 1 | 1 |"))
        #expect(text.contains("`require-ha`"))
        #expect(text.contains("~ spec.job.parallelism: 2 → 4"))
    }

    @Test("text and JSON carry the same counts")
    func textAndJSON() throws {
        let report = try Self.report()
        #expect(report.render(.text).contains("3 changes, 1 denied, 1 warning"))
        let json = try JSON.decode(report.render(.json))
        #expect(json[path: "summary", "changes"] == 3)
        #expect(json[path: "summary", "denied"] == 1)
        #expect(json["violations"]?[0]?["file"] == "jobs/a.yaml")
    }
}
