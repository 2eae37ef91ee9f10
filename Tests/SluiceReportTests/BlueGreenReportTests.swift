import SluiceCore
import SluiceReport
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// `sluice check` and `sluice plan` name a FlinkBlueGreenDeployment's change by the operator's
/// blue/green type (FlinkBlueGreenDeploymentSpecDiff), in text and JSON.
@Suite("Reports of FlinkBlueGreenDeployment changes")
struct BlueGreenReportTests {
    static func state(jar: String, revision: String) throws -> DesiredState {
        let dir = try TemporaryDirectory()
        try dir.write("c.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: eu-1}\nspec: {tier: public, driver: kubernetes}\n")
        try dir.write("e.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Environment\nmetadata: {name: prod}\nspec: {namespace: flink, clusters: {}}\n")
        try dir.write("jobs/a.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata: {name: orders}
            spec:
              template:
                spec:
                  image: flink:2.1
                  flinkVersion: v2_1
                  job: {jarURI: "\(jar)", parallelism: 2, upgradeMode: savepoint}
            """)
        return try Renderer().render(SpecLoader().load(from: DirectoryTree(path: dir.path), revision: revision))
    }

    @Test("check: changed (blue/green transition) in text, blueGreenChange in JSON")
    func check() throws {
        let base = try Self.state(jar: "local:///v1.jar", revision: "aaaaaaaaaaaaaaaa")
        let head = try Self.state(jar: "local:///v2.jar", revision: "bbbbbbbbbbbbbbbb")
        let report = CheckReport(base: base.revision, head: head.revision, clusters: head.clusters.map(\.cluster),
                                 changes: RevisionDiff.changes(base: base, head: head), violations: [])
        #expect(report.render(.text).contains("changed (blue/green transition)"), "\(report.render(.text))")
        let json = try JSON.decode(report.render(.json))
        let change = try #require(json["clusters"]?[0]?["changes"]?.listValue?.first)
        #expect(change["blueGreenChange"]?.stringValue == "transition")
        #expect(change["changeClass"]?.stringValue == "upgrade")
    }

    @Test("plan: the action is tagged [blue/green transition] in text, blueGreenChange in JSON")
    func plan() throws {
        let old = try Self.state(jar: "local:///v1.jar", revision: "r1").clusters[0].objects[0]
        let new = try Self.state(jar: "local:///v2.jar", revision: "r2").clusters[0]
        let plan = Planner(prune: false, allowMassPrune: false).plan(new, live: [LiveObject(identity: old.identity, value: old.value)])
        let text = PlanReport.text(Plan(revision: "r2", clusters: [plan]))
        #expect(text.contains("upgrade FlinkBlueGreenDeployment") && text.contains("[blue/green transition]"), "\(text)")
        let json = try JSON.decode(PlanReport.json(Plan(revision: "r2", clusters: [plan])))
        #expect(JSON.encode(json).contains("\"blueGreenChange\":\"transition\""), "\(JSON.encode(json))")
    }
}
