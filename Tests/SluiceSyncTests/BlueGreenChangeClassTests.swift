import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// The operator's blue/green diff types, from apache/flink-kubernetes-operator (commit 6e9caeb4),
/// module flink-kubernetes-operator: `FlinkBlueGreenDeploymentSpecDiff.compare()` (reconciler/diff),
/// which `BlueGreenUtils.getSpecDiff` runs in `KubernetesDeploymentMode.NATIVE`. Rows cite the case
/// of `compare()` and the test of FlinkBlueGreenDeploymentSpecDiffTest that pins it.
@Suite("Blue/green change types exactly as FlinkBlueGreenDeploymentSpecDiff gives them")
struct BlueGreenChangeClassTests {
    static func blueGreen(job: [(String, Value)] = [], spec: [(String, Value)] = [], configuration: Value? = nil,
                          flinkConfiguration: Value = ["state.backend.type": "rocksdb"]) -> Value {
        var jobMap = (["jarURI": "local:///job.jar", "parallelism": 2, "upgradeMode": "savepoint"] as Value).mapValue!
        for (k, v) in job { jobMap[k] = v }
        var specMap = (["image": "flink:2.1", "flinkVersion": "v2_1", "flinkConfiguration": flinkConfiguration, "job": .map(jobMap)] as Value).mapValue!
        for (k, v) in spec { specMap[k] = v }
        var outer = (["template": ["spec": .map(specMap)]] as Value).mapValue!
        if let configuration { outer["configuration"] = configuration }
        return [
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkBlueGreenDeployment",
            "metadata": ["name": "orders", "namespace": "ns", "labels": ["app.kubernetes.io/managed-by": "sluice"]],
            "spec": .map(outer),
        ]
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var old: Value
        var new: Value
        var expected: BlueGreenChange
        var source: String
        var testDescription: String { "\(name): \(expected) (\(source))" }
    }

    static let base = blueGreen()
    static let rows: [Row] = [
        Row(name: "identical specs", old: base, new: base, expected: .ignore,
            source: "compare() case 2, leftSpec.equals(rightSpec); testIgnoreForIdenticalSpecs"),
        Row(name: "spec.configuration only", old: base, new: blueGreen(configuration: ["custom.config": "x"]), expected: .ignore,
            source: "compare() looks only at template.spec; testIgnoreForConfigurationDifference"),
        Row(name: "job.state running to suspended", old: base, new: blueGreen(job: [("state", "suspended")]), expected: .suspend,
            source: "compare(): rightJobState == SUSPENDED first; testSuspendOnJobStateChange"),
        Row(name: "job.state suspended to running", old: blueGreen(job: [("state", "suspended")]), new: base, expected: .resume,
            source: "compare(): SUSPENDED to RUNNING (null state reads RUNNING, getJobState); testResumeOnJobStateChange"),
        Row(name: "savepointRedeployNonce with a jar change", old: base,
            new: blueGreen(job: [("savepointRedeployNonce", 1), ("jarURI", "local:///v2.jar")]), expected: .savepointRedeploy,
            source: "compare() case 1, DiffType.SAVEPOINT_REDEPLOY wins; testSavepointRedeployForNonceChangeWithJarUpdate"),
        Row(name: "savepointRedeployNonce with a parallelism change", old: base,
            new: blueGreen(job: [("savepointRedeployNonce", 1), ("parallelism", 10)]), expected: .savepointRedeploy,
            source: "compare() case 1; testSavepointRedeployTakesPrecedenceOverScale"),
        Row(name: "upgradeMode, allowNonRestoredState, initialSavepointPath, savepointTriggerNonce", old: base,
            new: blueGreen(job: [("upgradeMode", "last-state"), ("allowNonRestoredState", true),
                                 ("initialSavepointPath", "local:///tmp"), ("savepointTriggerNonce", 123)]), expected: .patchChild,
            source: "compare() case 3, nested DiffType.IGNORE (JobSpec @SpecDiff(IGNORE)); testPatchChildForIgnorableNestedChanges"),
        Row(name: "kubernetes.operator.* flinkConfiguration key", old: base,
            new: blueGreen(flinkConfiguration: ["state.backend.type": "rocksdb", "kubernetes.operator.reconcile.interval": "100 SECONDS"]),
            expected: .patchChild,
            source: "compare() case 3, @SpecDiff.Entry(prefix = \"kubernetes.operator\", type = IGNORE); testPatchChildForIgnorableConfigChanges"),
        Row(name: "parallelism", old: base, new: blueGreen(job: [("parallelism", 10)]), expected: .transition,
            source: "compare() case 4, nested SCALE is a TRANSITION; testTransitionForScaleDifference"),
        Row(name: "pipeline.jobvertex-parallelism-overrides (SCALE in native mode)", old: base,
            new: blueGreen(flinkConfiguration: ["state.backend.type": "rocksdb", "pipeline.jobvertex-parallelism-overrides": "a:4"]),
            expected: .transition,
            source: "compare() case 4 in NATIVE mode (BlueGreenUtils.getSpecDiff); a SCALE is a TRANSITION"),
        Row(name: "flinkVersion", old: base, new: blueGreen(spec: [("flinkVersion", "v1_17")]), expected: .transition,
            source: "compare() case 4, nested UPGRADE; testTransitionForUpgradeDifference"),
        Row(name: "spec.configuration and parallelism", old: base,
            new: blueGreen(job: [("parallelism", 10)], configuration: ["custom.config": "different-value"]), expected: .transition,
            source: "compare() case 4; testTransitionOverridesPatchChild"),
    ]

    @Test("each row", arguments: rows)
    func row(_ row: Row) {
        let changes = FieldDiff.changes(from: row.old, to: row.new)
        #expect(BlueGreenChangeClassifier.classify(changes) == row.expected)
    }

    @Test("the whole template appearing is classified field by field, not as one opaque change")
    func wholeTemplate() {
        var noTemplate = Self.base.mapValue!
        noTemplate["spec"] = ["configuration": ["a": "b"]]
        let changes = FieldDiff.changes(from: .map(noTemplate), to: Self.base)
        #expect(BlueGreenChangeClassifier.classify(changes) == .transition)
    }

    @Test("the plan shows a transition as an upgrade, and ignorable changes as updates without one")
    func plan() {
        let old = Objects.desired(Self.base)
        let transition = Objects.desired(Self.blueGreen(job: [("jarURI", "local:///v2.jar")]), revision: "r2")
        let step = Objects.plan([transition], live: [Objects.live(old)]).changes.first
        #expect(step?.kind == .upgrade)
        #expect(step?.blueGreenChange == .transition)
        #expect(step?.changeClass == .upgrade)
        #expect(step?.reason.contains("blue/green transition") == true)

        let patch = Objects.desired(Self.blueGreen(job: [("upgradeMode", "last-state")]), revision: "r2")
        let patched = Objects.plan([patch], live: [Objects.live(old)]).changes.first
        #expect(patched?.kind == .update)
        #expect(patched?.blueGreenChange == .patchChild)

        let suspend = Objects.desired(Self.blueGreen(job: [("state", "suspended")]), revision: "r2")
        #expect(Objects.plan([suspend], live: [Objects.live(old)]).changes.first?.kind == .suspend)
    }

    @Test("sluice check's revision diff carries the blue/green type")
    func revisionDiff() {
        func state(_ value: Value, _ revision: String) -> DesiredState {
            DesiredState(revision: revision, clusters: [ClusterDesiredState(cluster: Objects.cluster, environments: ["prod"],
                                                                            objects: [Objects.desired(value, revision: revision)])])
        }
        let changes = RevisionDiff.changes(base: state(Self.base, "r1"), head: state(Self.blueGreen(job: [("parallelism", 4)]), "r2"))
        #expect(changes.count == 1)
        #expect(changes.first?.blueGreenChange == .transition)
        #expect(changes.first?.changeClass == .upgrade)
        let ignored = RevisionDiff.changes(base: state(Self.base, "r1"), head: state(Self.blueGreen(configuration: ["a": "b"]), "r2"))
        #expect(ignored.first?.blueGreenChange == .ignore && ignored.first?.changeClass == .ignore)
    }
}
