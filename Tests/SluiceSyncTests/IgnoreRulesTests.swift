import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// Fields left to autoscalers and ignore rules, without a cluster: which fields, and what the
/// plan, self-heal and a review do with them.
@Suite("Ignored fields: autoscalers and ignore rules")
struct IgnoreRulesTests {
    static let here = SourceLocation(file: "envs/prod.yaml", line: 9, column: 5)

    static func withReplicas(_ value: Value, _ replicas: Int) -> Value {
        guard var root = value.mapValue, var spec = root["spec"]?.mapValue else { return value }
        spec["taskManager"] = ["replicas": .int(replicas)]
        root["spec"] = .map(spec)
        return .map(root)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var config: [String: Value]
        var keys: [String]
        var ignored: Bool
        /// The operator source the row follows.
        var source: String
        var testDescription: String { "\(keys.joined(separator: ".")) \(ignored ? "ignored" : "kept") (\(source))" }
    }

    static let on: [String: Value] = ["job.autoscaler.enabled": "true"]
    static let tuning: [String: Value] = ["job.autoscaler.enabled": "true", "job.autoscaler.memory.tuning.enabled": "true"]
    static let overrides = ["spec", "flinkConfiguration", "pipeline.jobvertex-parallelism-overrides"]

    @Test("the operator autoscaler's fields, from the operator's source", arguments: [
        Row(config: on, keys: overrides, ignored: true,
            source: "KubernetesScalingRealizer.realizeParallelismOverrides puts PipelineOptions.PARALLELISM_OVERRIDES when AutoScalerOptions.AUTOSCALER_ENABLED"),
        Row(config: ["kubernetes.operator.job.autoscaler.enabled": true], keys: overrides, ignored: true,
            source: "AUTOSCALER_ENABLED withFallbackKeys(oldOperatorConfigKey(\"enabled\")), a YAML boolean"),
        Row(config: ["job.autoscaler.enabled": "false"], keys: overrides, ignored: false, source: "AUTOSCALER_ENABLED defaultValue(false)"),
        Row(config: on, keys: ["spec", "flinkConfiguration", "taskmanager.memory.process.size"], ignored: false,
            source: "MemoryTuning applies no ConfigChanges unless MEMORY_TUNING_ENABLED"),
        Row(config: tuning, keys: ["spec", "flinkConfiguration", "taskmanager.memory.process.size"], ignored: true,
            source: "MemoryTuning addOverride(TaskManagerOptions.TOTAL_PROCESS_MEMORY), realizeConfigOverrides"),
        Row(config: tuning, keys: ["spec", "flinkConfiguration", "taskmanager.memory.managed.fraction"], ignored: true,
            source: "MemoryTuning addOverride(TaskManagerOptions.MANAGED_MEMORY_FRACTION)"),
        Row(config: tuning, keys: ["spec", "taskManager", "resource", "memory"], ignored: true,
            source: "KubernetesScalingRealizer.setTaskManagerMemory"),
        Row(config: tuning, keys: ["spec", "job", "parallelism"], ignored: false, source: "the realizer never writes spec.job"),
    ])
    func operatorAutoscaler(row: Row) {
        let object = Objects.desired(Objects.deployment("job", extraConfig: row.config.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        let fields = FieldIgnorer.fields(of: object, live: nil, rules: [])
        #expect((FieldIgnorer.field(covering: row.keys, in: fields) != nil) == row.ignored)
    }

    @Test("rules select by group, kind, name, namespace and environment")
    func ruleScope() throws {
        let object = Objects.desired(Objects.deployment("job"))
        let pointer = try JSONPointer(parsing: "/spec/image")
        func ignores(_ rule: IgnoreRule) -> Bool {
            FieldIgnorer.field(covering: ["spec", "image"], in: FieldIgnorer.fields(of: object, live: nil, rules: [rule])) != nil
        }
        #expect(ignores(IgnoreRule(kind: "FlinkDeployment", jsonPointers: [pointer], origin: "Cluster c1 spec.ignore[0]", location: Self.here)))
        #expect(ignores(IgnoreRule(group: "flink.apache.org", kind: "FlinkDeployment", name: "job", namespace: "ns", jsonPointers: [pointer],
                                   origin: "Environment prod spec.ignore[0]", environment: "prod", location: Self.here)))
        #expect(!ignores(IgnoreRule(group: "", kind: "FlinkDeployment", jsonPointers: [pointer], origin: "o", location: Self.here)))
        #expect(!ignores(IgnoreRule(kind: "FlinkSessionJob", jsonPointers: [pointer], origin: "o", location: Self.here)))
        #expect(!ignores(IgnoreRule(kind: "FlinkDeployment", name: "other", jsonPointers: [pointer], origin: "o", location: Self.here)))
        #expect(!ignores(IgnoreRule(kind: "FlinkDeployment", namespace: "other", jsonPointers: [pointer], origin: "o", location: Self.here)))
        #expect(!ignores(IgnoreRule(kind: "FlinkDeployment", jsonPointers: [pointer], origin: "o", environment: "staging", location: Self.here)))
    }

    @Test("a field an HPA owns is no drift and no self-heal; the plan says who manages it")
    func ownedFieldIsNotDrift() {
        let object = Objects.desired(Self.withReplicas(Objects.deployment("job"), 2))
        var live = Objects.live(object)
        live.value = Self.withReplicas(live.value, 7)
        for selfHeal in [false, true] {
            var plain = live
            plain.serverDesired = object.value
            let drift = Planner(selfHeal: selfHeal).plan(ClusterDesiredState(cluster: Objects.cluster, environments: ["prod"], objects: [object]), live: [plain])
            #expect(drift.actions.first?.kind == (selfHeal ? .update : .drift))

            var owned = plain
            owned.ownedElsewhere = [LiveObject.OwnedField(keys: ["spec", "taskManager", "replicas"], owner: "HorizontalPodAutoscaler job-hpa")]
            let plan = Planner(selfHeal: selfHeal).plan(ClusterDesiredState(cluster: Objects.cluster, environments: ["prod"], objects: [object]), live: [owned])
            let step = plan.actions.first
            #expect(step?.kind == ActionKind.none, "\(step?.reason ?? "")")
            #expect(step?.ignored.map(\.description) == ["spec.taskManager.replicas: managed by HorizontalPodAutoscaler job-hpa"])
        }
    }

    @Test("a change in Git to an ignored field is no change; with other changes the apply keeps the live value")
    func gitChangeToIgnoredField() {
        let before = Objects.desired(Self.withReplicas(Objects.deployment("job"), 2))
        var live = Objects.live(before)
        live.value = Self.withReplicas(live.value, 7)
        live.ownedElsewhere = [LiveObject.OwnedField(keys: ["spec", "taskManager", "replicas"], owner: "HorizontalPodAutoscaler h")]
        let onlyReplicas = Objects.desired(Self.withReplicas(Objects.deployment("job"), 3), revision: "r2")
        var step = Objects.plan([onlyReplicas], live: [live]).actions.first
        #expect(step?.kind == ActionKind.none)

        let imageToo = Objects.desired(Self.withReplicas(Objects.deployment("job", image: "flink:2.2"), 3), revision: "r2")
        step = Objects.plan([imageToo], live: [live]).actions.first
        #expect(step?.kind == .upgrade)
        #expect(step?.changes.map(\.path) == ["spec.image"])
        let body = FieldIgnorer.body(imageToo.value, keepingLive: live.value, fields: step?.ignoredFields ?? [])
        #expect(body[path: "spec", "taskManager", "replicas"]?.intValue == 7)
        #expect(body[path: "spec", "image"]?.stringValue == "flink:2.2")
    }

    @Test("an apply leaves out fields a named manager owns, and fields the cluster does not have")
    func bodyKeepsLive() {
        let body: Value = ["spec": ["replicas": 2, "paused": false, "image": "a"]]
        let live: Value = ["spec": ["replicas": 9, "image": "b"]]
        let out = FieldIgnorer.body(body, keepingLive: live, fields: [
            IgnoredField(keys: ["spec", "replicas"], reason: "r", onApply: .omit),
            IgnoredField(keys: ["spec", "paused"], reason: "r"),
            IgnoredField(keys: ["spec", "image"], reason: "r"),
        ])
        #expect(out == ["spec": ["image": "b"]])
    }

    @Test("sluice check: a pull request changing the field an HPA in Git targets shows it as ignored")
    func reviewShowsIgnored() {
        let base = Objects.desired(Self.withReplicas(Objects.deployment("job"), 2))
        let head = Objects.desired(Self.withReplicas(Objects.deployment("job", image: "flink:2.2"), 4), revision: "r2")
        let hpa = Objects.desired([
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "job-hpa", "namespace": "ns"],
            "spec": ["scaleTargetRef": ["apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": "job"], "maxReplicas": 5],
        ])
        let rule = IgnoreRule(kind: "FlinkDeployment", managedFieldsManagers: ["kube-controller-manager"], origin: "Environment prod spec.ignore[0]",
                              environment: "prod", location: Self.here)
        let changes = RevisionDiff.changes(
            base: DesiredState(revision: "a", clusters: [ClusterDesiredState(cluster: Objects.cluster, environments: ["prod"], objects: [base, hpa])]),
            head: DesiredState(revision: "b", clusters: [ClusterDesiredState(cluster: Objects.cluster, environments: ["prod"], objects: [head, hpa],
                                                                             ignoreRules: [rule])]))
        let change = changes.first { $0.identity.kind == "FlinkDeployment" }
        #expect(change?.changes.map(\.path) == ["spec.image"])
        #expect(change?.ignored.map(\.description) == ["spec.taskManager.replicas: managed by HorizontalPodAutoscaler job-hpa"])
        #expect(change?.ignoredByManagers == ["fields owned by kube-controller-manager on the cluster (Environment prod spec.ignore[0] (envs/prod.yaml:9:5))"])
    }
}
