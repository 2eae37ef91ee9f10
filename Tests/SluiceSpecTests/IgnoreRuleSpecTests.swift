import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

/// `spec.ignore` on Environments and Clusters: decoded, validated with file:line:column, and
/// handed to each cluster's desired state.
@Suite("Ignore rules in specs")
struct IgnoreRuleSpecTests {
    static let rules = """
          ignore:
          - group: flink.apache.org
            kind: FlinkDeployment
            name: orders
            jsonPointers: [/spec/taskManager/replicas, /spec/flinkConfiguration/a~1b]
          - kind: Deployment
            managedFieldsManagers: [kube-controller-manager]
        """

    @Test("rules of an Environment and a Cluster reach the cluster's desired state")
    func decoded() throws {
        let cluster = SpecFixtures.cluster("c1") + """
              ignore:
              - {kind: ConfigMap, jsonPointers: [/data/generated]}

            """
        let set = try SpecFixtures.load([
            "clusters/c1.yaml": cluster,
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "apps", extra: Self.rules),
            "jobs/orders.yaml": SpecFixtures.deployment("orders"),
        ])
        let environment = try #require(set.environment(named: "prod"))
        #expect(environment.ignore.count == 2)
        let first = try #require(environment.ignore.first)
        #expect(first.group == "flink.apache.org")
        #expect(first.name == "orders")
        #expect(first.jsonPointers.map(\.tokens) == [["spec", "taskManager", "replicas"], ["spec", "flinkConfiguration", "a/b"]])
        #expect(first.environment == "prod")
        #expect(first.origin == "Environment prod spec.ignore[0]")
        #expect(first.location == SourceLocation(file: "environments/prod.yaml", line: 11, column: 5))
        #expect(environment.ignore[1].managedFieldsManagers == ["kube-controller-manager"])
        #expect(set.clusters.first?.ignore.first?.environment == nil)

        let state = try Renderer().render(set)
        let rules = try #require(state.clusters.first?.ignoreRules)
        #expect(rules.map(\.origin) == ["Cluster c1 spec.ignore[0]", "Environment prod spec.ignore[0]", "Environment prod spec.ignore[1]"])
    }

    @Test("bad rules are errors at their line and column, with what to fix")
    func invalid() throws {
        let extra = """
              ignore:
              - kind: FlinkDeployment
                jsonPointers: [spec/replicas, /kind]
              - kind: Deployment
                jsonPointer: [/spec/replicas]
              - name: orders
                managedFieldsManagers: [kube-controller-manager]
            """
        let found = try SpecFixtures.diagnostics([
            "clusters/c1.yaml": SpecFixtures.cluster("c1"),
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "apps", extra: extra),
        ]).map(\.description)
        #expect(found.contains { $0.hasPrefix("environments/prod.yaml:12:20: spec.ignore[0].jsonPointers[0]: ") && $0.contains("start with '/'") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("environments/prod.yaml:12:35: spec.ignore[0].jsonPointers[1]: \"/kind\" would ignore the object's identity") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("environments/prod.yaml:14:5: spec.ignore[1].jsonPointer: unknown field \"jsonPointer\"") && $0.contains("did you mean \"jsonPointers\"?") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("environments/prod.yaml:13:5: spec.ignore[1]: names no fields") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("environments/prod.yaml:15:5: spec.ignore[2].kind: required field is missing") }, "\(found)")
    }

    @Test("ignore must be a list")
    func notAList() throws {
        let found = try SpecFixtures.diagnostics([
            "clusters/c1.yaml": SpecFixtures.cluster("c1") + "  ignore: {kind: Deployment}\n",
        ]).map(\.description)
        #expect(found.contains { $0.hasPrefix("clusters/c1.yaml:10:11: spec.ignore: expected a list, found ") }, "\(found)")
    }
}
