import Foundation
import SluiceCore
import SluiceReport
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// `sluice check` shows which fields of a changed object Sluice leaves to autoscalers and ignore rules.
@Suite("sluice check: ignored fields")
struct CheckIgnoredFieldsTests {
    static func state(replicas: Int, image: String, revision: String) throws -> DesiredState {
        let dir = try TemporaryDirectory()
        try dir.write("c.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: eu-1}\nspec: {tier: public, driver: kubernetes}\n")
        try dir.write("e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: prod}
            spec:
              namespace: flink
              clusters: {}
              ignore:
              - {kind: FlinkDeployment, managedFieldsManagers: [kube-controller-manager]}
            """)
        try dir.write("jobs/a.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders}
            spec:
              image: \(image)
              flinkVersion: v2_1
              taskManager: {replicas: \(replicas)}
              job: {jarURI: "local:///job.jar", parallelism: 2, upgradeMode: savepoint}
            """)
        try dir.write("jobs/hpa.yaml", """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: orders-hpa}
            spec:
              scaleTargetRef: {apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment, name: orders}
              maxReplicas: 8
            """)
        return try Renderer().render(SpecLoader().load(from: DirectoryTree(path: dir.path), revision: revision))
    }

    @Test("text, JSON and Markdown name the ignored field and why")
    func rendered() throws {
        let base = try Self.state(replicas: 2, image: "flink:2.1", revision: "aaaaaaaaaaaa")
        let head = try Self.state(replicas: 6, image: "flink:2.2", revision: "bbbbbbbbbbbb")
        let report = CheckReport(base: base.revision, head: head.revision, clusters: head.clusters.map(\.cluster),
                                 changes: RevisionDiff.changes(base: base, head: head), violations: [])
        let text = report.render(.text)
        #expect(text.contains("~ spec.image: \"flink:2.1\" → \"flink:2.2\""), "\(text)")
        #expect(text.contains("= spec.taskManager.replicas: managed by HorizontalPodAutoscaler orders-hpa (set on create only)"), "\(text)")
        #expect(text.contains("ignored: fields owned by kube-controller-manager on the cluster (Environment prod spec.ignore[0] (e.yaml:8:5))"), "\(text)")
        let json = try JSON.decode(report.render(.json))
        let change = try #require(json["clusters"]?[0]?["changes"]?.listValue?.first { $0["object"]?.stringValue?.contains("orders") == true && $0["kind"] == "changed" })
        #expect(change["ignored"]?[0]?["path"] == "spec.taskManager.replicas")
        #expect(change["ignored"]?[0]?["reason"] == "managed by HorizontalPodAutoscaler orders-hpa")
        #expect(report.render(.markdown).contains("ignored `spec.taskManager.replicas`: managed by HorizontalPodAutoscaler orders-hpa"))
    }
}
