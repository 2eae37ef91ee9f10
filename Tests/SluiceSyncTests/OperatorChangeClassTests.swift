import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// The Flink Kubernetes Operator's change classes, field by field and per deployment mode.
///
/// Every row cites the annotation it follows, in apache/flink-kubernetes-operator,
/// module flink-kubernetes-operator-api (package org.apache.flink.kubernetes.operator.api.spec),
/// as `ReflectiveDiffBuilder` (module flink-kubernetes-operator, reconciler/diff) applies it:
/// a `@SpecDiff` field has its class only in the modes it names and is UPGRADE in the others;
/// `onNullIgnore` ignores a change to null; unannotated fields are UPGRADE; `flinkConfiguration`
/// is compared key by key on its flat form, and the first `@SpecDiff.Config` entry whose prefix
/// matches (and whose modes include the current one) decides.
@Suite("Change classes exactly as the operator's @SpecDiff annotations give them")
struct OperatorChangeClassTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var path: [String]
        var old: Value?
        var new: Value?
        var mode: FlinkDeploymentMode
        var expected: ChangeClass
        var source: String
        var testDescription: String { "\(path.joined(separator: ".")) in \(mode.rawValue) mode: \(expected) (\(source))" }
    }

    static let rows: [Row] = [
        // JobSpec
        Row(path: ["spec", "job", "parallelism"], old: 2, new: 4, mode: .native, expected: .upgrade,
            source: "JobSpec.parallelism @SpecDiff(value = SCALE, mode = STANDALONE)"),
        Row(path: ["spec", "job", "parallelism"], old: 2, new: 4, mode: .standalone, expected: .scale,
            source: "JobSpec.parallelism @SpecDiff(value = SCALE, mode = STANDALONE)"),
        Row(path: ["spec", "job", "upgradeMode"], old: "stateless", new: "savepoint", mode: .native, expected: .ignore,
            source: "JobSpec.upgradeMode @SpecDiff(DiffType.IGNORE)"),
        Row(path: ["spec", "job", "allowNonRestoredState"], old: nil, new: true, mode: .native, expected: .ignore,
            source: "JobSpec.allowNonRestoredState @SpecDiff(DiffType.IGNORE)"),
        Row(path: ["spec", "job", "initialSavepointPath"], old: "s3://a", new: "s3://b", mode: .standalone, expected: .ignore,
            source: "JobSpec.initialSavepointPath @SpecDiff(DiffType.IGNORE)"),
        Row(path: ["spec", "job", "savepointTriggerNonce"], old: 1, new: 2, mode: .native, expected: .ignore,
            source: "JobSpec.savepointTriggerNonce @SpecDiff(DiffType.IGNORE)"),
        Row(path: ["spec", "job", "checkpointTriggerNonce"], old: nil, new: 1, mode: .native, expected: .ignore,
            source: "JobSpec.checkpointTriggerNonce @SpecDiff(DiffType.IGNORE)"),
        Row(path: ["spec", "job", "autoscalerResetNonce"], old: 1, new: 2, mode: .native, expected: .ignore,
            source: "JobSpec.autoscalerResetNonce @SpecDiff(value = DiffType.IGNORE)"),
        Row(path: ["spec", "job", "savepointRedeployNonce"], old: 1, new: 2, mode: .native, expected: .savepointRedeploy,
            source: "JobSpec.savepointRedeployNonce @SpecDiff(value = SAVEPOINT_REDEPLOY, onNullIgnore = true)"),
        Row(path: ["spec", "job", "savepointRedeployNonce"], old: 1, new: nil, mode: .native, expected: .ignore,
            source: "JobSpec.savepointRedeployNonce @SpecDiff(value = SAVEPOINT_REDEPLOY, onNullIgnore = true)"),
        Row(path: ["spec", "job", "jarURI"], old: "local:///a.jar", new: "local:///b.jar", mode: .native, expected: .upgrade,
            source: "JobSpec.jarURI, no annotation"),
        Row(path: ["spec", "job", "entryClass"], old: "a.Main", new: "b.Main", mode: .standalone, expected: .upgrade,
            source: "JobSpec.entryClass, no annotation"),
        // AbstractFlinkSpec
        Row(path: ["spec", "restartNonce"], old: 1, new: 2, mode: .native, expected: .upgrade,
            source: "AbstractFlinkSpec.restartNonce @SpecDiff(onNullIgnore = true), default UPGRADE"),
        Row(path: ["spec", "restartNonce"], old: 1, new: nil, mode: .native, expected: .ignore,
            source: "AbstractFlinkSpec.restartNonce @SpecDiff(onNullIgnore = true)"),
        Row(path: ["spec", "flinkConfiguration", "job.autoscaler.enabled"], old: "false", new: "true", mode: .native, expected: .ignore,
            source: "AbstractFlinkSpec.flinkConfiguration @SpecDiff.Entry(prefix = \"job.autoscaler\", type = IGNORE)"),
        Row(path: ["spec", "flinkConfiguration", "parallelism.default"], old: "2", new: "8", mode: .standalone, expected: .ignore,
            source: "AbstractFlinkSpec.flinkConfiguration @SpecDiff.Entry(prefix = \"parallelism.default\", type = IGNORE)"),
        Row(path: ["spec", "flinkConfiguration", "kubernetes.operator.periodic.savepoint.interval"], old: nil, new: "1h", mode: .native,
            expected: .ignore,
            source: "AbstractFlinkSpec.flinkConfiguration @SpecDiff.Entry(prefix = \"kubernetes.operator\", type = IGNORE)"),
        Row(path: ["spec", "flinkConfiguration", "pipeline.jobvertex-parallelism-overrides"], old: nil, new: "v1:4", mode: .native,
            expected: .scale,
            source: "@SpecDiff.Entry(prefix = \"pipeline.jobvertex-parallelism-overrides\", type = SCALE, mode = NATIVE)"),
        Row(path: ["spec", "flinkConfiguration", "pipeline.jobvertex-parallelism-overrides"], old: nil, new: "v1:4", mode: .standalone,
            expected: .upgrade,
            source: "@SpecDiff.Entry(prefix = \"pipeline.jobvertex-parallelism-overrides\", type = SCALE, mode = NATIVE): skipped in standalone"),
        Row(path: ["spec", "flinkConfiguration", "state.backend.type"], old: "hashmap", new: "rocksdb", mode: .native, expected: .upgrade,
            source: "ReflectiveDiffBuilder.getType: no matching entry is UPGRADE"),
        Row(path: ["spec", "flinkConfiguration", "job", "autoscaler", "enabled"], old: nil, new: "true", mode: .native, expected: .ignore,
            source: "ReflectiveDiffBuilder compares ConfigObjectNode.asFlatMap(): nested keys are the dotted ones"),
        // TaskManagerSpec and the rest of FlinkDeploymentSpec
        Row(path: ["spec", "taskManager", "replicas"], old: 2, new: 3, mode: .standalone, expected: .scale,
            source: "TaskManagerSpec.replicas @SpecDiff(value = SCALE, mode = STANDALONE)"),
        Row(path: ["spec", "taskManager", "replicas"], old: 2, new: 3, mode: .native, expected: .upgrade,
            source: "TaskManagerSpec.replicas @SpecDiff(value = SCALE, mode = STANDALONE)"),
        Row(path: ["spec", "taskManager", "resource", "memory"], old: "2g", new: "4g", mode: .standalone, expected: .upgrade,
            source: "TaskManagerSpec.resource, no annotation"),
        Row(path: ["spec", "jobManager", "replicas"], old: 1, new: 2, mode: .standalone, expected: .upgrade,
            source: "JobManagerSpec is not Diffable: any change is UPGRADE"),
        Row(path: ["spec", "image"], old: "flink:2.2", new: "flink:2.3", mode: .native, expected: .upgrade,
            source: "FlinkDeploymentSpec.image, no annotation"),
        Row(path: ["metadata", "labels", "team"], old: "a", new: "b", mode: .native, expected: .ignore,
            source: "AbstractFlinkResourceReconciler diffs the spec only"),
    ]

    @Test("one field change", arguments: rows)
    func row(_ row: Row) {
        let change = FieldChange(path: row.path.joined(separator: "."), keys: row.path, old: row.old, new: row.new)
        #expect(FlinkChangeClassifier.classify(change, mode: row.mode) == row.expected)
    }

    @Test("flinkConfiguration added whole is compared key by key (DiffType.from takes the highest)")
    func wholeConfiguration() {
        let ignoredOnly = FieldChange(path: "spec.flinkConfiguration", keys: ["spec", "flinkConfiguration"], old: nil,
                                      new: ["job.autoscaler.enabled": "true", "kubernetes.operator.x": "1"])
        #expect(FlinkChangeClassifier.classify(ignoredOnly, mode: .native) == .ignore)
        let withOverrides = FieldChange(path: "spec.flinkConfiguration", keys: ["spec", "flinkConfiguration"], old: nil,
                                        new: ["job": ["autoscaler": ["enabled": "true"]], "pipeline.jobvertex-parallelism-overrides": "v:2"])
        #expect(FlinkChangeClassifier.classify(withOverrides, mode: .native) == .scale)
        #expect(FlinkChangeClassifier.classify(withOverrides, mode: .standalone) == .upgrade)
    }

    @Test("a session job takes the mode of the session cluster it names (FlinkSessionJobContext.getDeploymentMode)")
    func sessionJobMode() {
        let cluster: Value = ["kind": "FlinkDeployment", "metadata": ["name": "session"], "spec": ["mode": "standalone"]]
        let job: Value = ["kind": "FlinkSessionJob", "metadata": ["name": "j"], "spec": ["deploymentName": "session"]]
        #expect(FlinkDeploymentMode.of(job, sessionClusters: { $0 == "session" ? cluster : nil }) == .standalone)
        #expect(FlinkDeploymentMode.of(job, sessionClusters: { _ in nil }) == .native)
        #expect(FlinkDeploymentMode.of(cluster, sessionClusters: { _ in nil }) == .standalone)
    }

    @Test("the planner rescales a standalone job and upgrades a native one for the same parallelism change")
    func plannerUsesMode() {
        func standalone(_ value: Value) -> Value {
            var root = value.mapValue!
            var spec = root["spec"]!.mapValue!
            spec["mode"] = "standalone"
            root["spec"] = .map(spec)
            return .map(root)
        }
        let nativeLive = Objects.live(Objects.desired(Objects.deployment("a")))
        #expect(Objects.plan([Objects.desired(Objects.deployment("a", parallelism: 6))], live: [nativeLive]).actions.first?.kind == .upgrade)
        let standaloneLive = Objects.live(Objects.desired(standalone(Objects.deployment("a"))))
        let plan = Objects.plan([Objects.desired(standalone(Objects.deployment("a", parallelism: 6)))], live: [standaloneLive])
        #expect(plan.actions.first?.kind == .rescale)
        #expect(plan.actions.first?.reason.contains("spec.job.parallelism") == true)
    }
}
