import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

/// Builds rendered objects and live objects without a cluster.
enum Objects {
    static let cluster = ClusterSpec(name: "c1", labels: [:], tier: .public, driver: .flink, kubernetes: nil,
                                     flink: nil, runtime: nil, location: SourceLocation(file: "c.yaml", line: 1, column: 1))

    static func deployment(_ name: String, parallelism: Int = 2, state: String = "running", image: String = "flink:2.1",
                           extraConfig: [(String, Value)] = [], nonce: Int? = nil, redeployNonce: Int? = nil) -> Value {
        var config: Value = ["state.backend.type": "rocksdb"]
        var map = config.mapValue!
        for (k, v) in extraConfig { map[k] = v }
        config = .map(map)
        var job: Value = ["jarURI": "local:///job.jar", "parallelism": .int(parallelism), "upgradeMode": "savepoint", "state": .string(state)]
        var jobMap = job.mapValue!
        if let nonce { jobMap["savepointTriggerNonce"] = .int(nonce) }
        if let redeployNonce { jobMap["savepointRedeployNonce"] = .int(redeployNonce) }
        job = .map(jobMap)
        return [
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": ["name": .string(name), "namespace": "ns", "labels": ["app.kubernetes.io/managed-by": "sluice"]],
            "spec": ["image": .string(image), "flinkConfiguration": config, "job": job],
        ]
    }

    static func desired(_ value: Value, revision: String = "r1") -> DesiredObject {
        let name = value[path: "metadata", "name"]!.stringValue!
        let kind = value["kind"]!.stringValue!
        let group = ObjectIdentity.group(ofAPIVersion: value["apiVersion"]!.stringValue!)
        var stamped = value
        let hash = Ownership.specHash(of: value)
        var root = stamped.mapValue!
        var metadata = root["metadata"]!.mapValue!
        metadata["annotations"] = [Ownership.specHashAnnotation: .string(hash), Ownership.revisionAnnotation: .string(revision)]
        root["metadata"] = .map(metadata)
        stamped = .map(root)
        return DesiredObject(cluster: "c1", environment: "prod",
                             identity: ObjectIdentity(group: group, kind: kind, namespace: "ns", name: name),
                             value: stamped, source: SourceLocation(file: "j.yaml", line: 1, column: 1), specHash: hash, revision: revision)
    }

    /// What the cluster holds after `object` was applied at some earlier revision.
    static func live(_ object: DesiredObject) -> LiveObject {
        LiveObject(identity: object.identity, value: object.value)
    }

    static func plan(_ desired: [DesiredObject], live: [LiveObject], prune: Bool = false, allowMassPrune: Bool = false) -> ClusterPlan {
        Planner(prune: prune, allowMassPrune: allowMassPrune)
            .plan(ClusterDesiredState(cluster: cluster, environments: ["prod"], objects: desired), live: live)
    }
}

@Suite("Field-level diff")
struct FieldDiffTests {
    @Test("changed, added and removed leaves with readable paths")
    func leaves() {
        let old: Value = ["spec": ["job": ["parallelism": 2], "flinkConfiguration": ["a.b": "1", "gone": "x"]]]
        let new: Value = ["spec": ["job": ["parallelism": 4], "flinkConfiguration": ["a.b": "2", "new": "y"]]]
        let changes = FieldDiff.changes(from: old, to: new)
        #expect(changes.map(\.path) == ["spec.job.parallelism", "spec.flinkConfiguration[a.b]", "spec.flinkConfiguration.gone", "spec.flinkConfiguration.new"])
        #expect(changes[0].description == "~ spec.job.parallelism: 2 → 4")
        #expect(changes[2].new == nil)
        #expect(changes[3].old == nil)
    }

    @Test("lists of named items are matched by name, not position")
    func namedLists() {
        let old: Value = ["containers": [["name": "a", "image": "x:1"], ["name": "b", "image": "y:1"]]]
        let new: Value = ["containers": [["name": "b", "image": "y:2"], ["name": "a", "image": "x:1"]]]
        #expect(FieldDiff.changes(from: old, to: new).map(\.path) == ["containers[name=b].image"])
    }

    @Test("equal values have no changes, whatever their key order")
    func equal() {
        let a: Value = ["x": 1, "y": ["z": true]]
        let b: Value = ["y": ["z": true], "x": 1]
        #expect(FieldDiff.changes(from: a, to: b).isEmpty)
    }
}

@Suite("Flink change classes, as the operator orders them")
struct ChangeClassTests {
    func classOf(_ old: Value, _ new: Value) -> ChangeClass {
        FlinkChangeClassifier.classify(FieldDiff.changes(from: old, to: new))
    }

    @Test("upgrade settings, nonces for savepoints, autoscaler and operator keys never restart")
    func ignored() {
        let base = Objects.deployment("j")
        var changed = base.mapValue!
        var spec = changed["spec"]!.mapValue!
        var job = spec["job"]!.mapValue!
        job["upgradeMode"] = "last-state"
        job["allowNonRestoredState"] = true
        job["initialSavepointPath"] = "file:///sp"
        spec["job"] = .map(job)
        changed["spec"] = .map(spec)
        #expect(classOf(base, .map(changed)) == .ignore)
        #expect(classOf(base, Objects.deployment("j", extraConfig: [("job.autoscaler.enabled", "true"), ("kubernetes.operator.x", "1"), ("parallelism.default", "3")])) == .ignore)
    }

    @Test("parallelism is an upgrade in native mode, other spec changes too, the redeploy nonce the highest")
    func ordering() {
        let base = Objects.deployment("j")
        #expect(classOf(base, Objects.deployment("j", parallelism: 5)) == .upgrade)
        #expect(classOf(base, Objects.deployment("j", image: "flink:2.2")) == .upgrade)
        #expect(classOf(base, Objects.deployment("j", parallelism: 5, image: "flink:2.2")) == .upgrade)
        #expect(classOf(base, Objects.deployment("j", extraConfig: [("state.backend.type", "hashmap")])) == .upgrade)
        #expect(classOf(base, Objects.deployment("j", image: "flink:2.2", redeployNonce: 1)) == .savepointRedeploy)
        #expect(ChangeClass.ignore < .scale && ChangeClass.scale < .upgrade && ChangeClass.upgrade < .savepointRedeploy)
    }
}

@Suite("Planning desired against live")
struct PlannerTests {
    @Test("a missing object is created, an equal one left alone")
    func createAndNone() {
        let a = Objects.desired(Objects.deployment("a"))
        let b = Objects.desired(Objects.deployment("b"))
        let plan = Objects.plan([a, b], live: [Objects.live(b)])
        #expect(plan.actions.map(\.kind) == [.create, .none])
        #expect(plan.changes.count == 1)
    }

    @Test("a new revision with the same intent is not a change")
    func revisionOnly() {
        let old = Objects.desired(Objects.deployment("a"), revision: "r1")
        let new = Objects.desired(Objects.deployment("a"), revision: "r2")
        #expect(Objects.plan([new], live: [Objects.live(old)]).actions.map(\.kind) == [.none])
    }

    @Test("each kind of Flink change maps to its action")
    func flinkActions() {
        let live = Objects.live(Objects.desired(Objects.deployment("a")))
        func kind(_ value: Value) -> ActionKind? { Objects.plan([Objects.desired(value)], live: [live]).actions.first?.kind }
        // JobSpec.parallelism is @SpecDiff(value = SCALE, mode = STANDALONE): an upgrade in native mode.
        #expect(kind(Objects.deployment("a", parallelism: 6)) == .upgrade)
        #expect(kind(Objects.deployment("a", extraConfig: [("pipeline.jobvertex-parallelism-overrides", "a:2")])) == .rescale)
        #expect(kind(Objects.deployment("a", image: "flink:9")) == .upgrade)
        #expect(kind(Objects.deployment("a", state: "suspended")) == .suspend)
        #expect(kind(Objects.deployment("a", nonce: 7)) == .savepoint)
        #expect(kind(Objects.deployment("a", redeployNonce: 2)) == .redeploy)
        #expect(kind(Objects.deployment("a", extraConfig: [("job.autoscaler.enabled", "true")])) == .update)

        let suspended = Objects.live(Objects.desired(Objects.deployment("a", state: "suspended")))
        #expect(Objects.plan([Objects.desired(Objects.deployment("a", image: "flink:9"))], live: [suspended]).actions.first?.kind == .resume)
    }

    @Test("an upgrade says which fields changed and which upgrade mode applies")
    func upgradeReason() throws {
        let live = Objects.live(Objects.desired(Objects.deployment("a")))
        let step = try #require(Objects.plan([Objects.desired(Objects.deployment("a", image: "flink:9"))], live: [live]).actions.first)
        #expect(step.reason == "spec changed: savepoint upgrade")
        #expect(step.changes.map(\.path) == ["spec.image"])
        #expect(step.changeClass == .upgrade)
    }

    @Test("unowned objects are never updated or deleted")
    func unowned() {
        var foreign = Objects.deployment("a").mapValue!
        var metadata = foreign["metadata"]!.mapValue!
        metadata["labels"] = ["app.kubernetes.io/managed-by": "helm"]
        foreign["metadata"] = .map(metadata)
        let live = LiveObject(identity: Objects.desired(Objects.deployment("a")).identity, value: .map(foreign))
        let plan = Objects.plan([Objects.desired(Objects.deployment("a"))], live: [live], prune: true)
        #expect(plan.actions.map(\.kind) == [.conflict])
        let other = LiveObject(identity: ObjectIdentity(group: "", kind: "ConfigMap", namespace: "ns", name: "theirs"), value: .map(foreign))
        #expect(Objects.plan([], live: [other], prune: true).actions.isEmpty)
    }

    @Test("removed objects are deleted only with prune, and a mass prune is refused unless allowed")
    func prune() {
        let keep = Objects.desired(Objects.deployment("keep"))
        let gone = Objects.desired(Objects.deployment("gone"))
        let gone2 = Objects.desired(Objects.deployment("gone2"))
        let live = [Objects.live(keep), Objects.live(gone)]
        #expect(Objects.plan([keep], live: live).actions.map(\.kind) == [.none, .orphan])
        #expect(Objects.plan([keep], live: live, prune: true).actions.map(\.kind) == [.none, .delete])

        let most = [Objects.live(keep), Objects.live(gone), Objects.live(gone2)]
        let refused = Objects.plan([keep], live: most, prune: true)
        guard case .massPrune(let deletes, let owned, _) = refused.failure else {
            Issue.record("a mass prune is refused as one: \(String(describing: refused.failure))")
            return
        }
        #expect(deletes == 2 && owned == 3)
        #expect(refused.failure?.description.contains("--allow-mass-prune") == true, "the refusal says how to go ahead")
        #expect(refused.actions.isEmpty)
        #expect(Objects.plan([keep], live: most, prune: true, allowMassPrune: true).changes.count == 2)
    }
}

@Suite("Drift against the cluster's view of the desired object")
struct DriftTests {
    static func configMap(_ data: String) -> DesiredObject {
        Objects.desired(["apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": ["name": "settings", "namespace": "ns", "labels": ["app.kubernetes.io/managed-by": "sluice"]],
                         "data": ["mode": .string(data)]])
    }

    @Test("defaults the server adds are not drift; a field changed on the cluster is, healed only with selfHeal")
    func drift() {
        let desired = Self.configMap("fast")
        // As the server stores it: what Sluice applied (marks included) plus a default.
        var stored = desired.value.mapValue!
        stored["immutable"] = false
        var live = Objects.live(desired)
        live.value = .map(stored)
        live.serverDesired = live.value
        #expect(Objects.plan([desired], live: [live]).actions.first?.kind == ActionKind.none, "a server default alone is no change")

        // Someone edits the data on the cluster; the marks (and spec hash) Sluice applied stay.
        var edited = live.value.mapValue!
        edited["data"] = ["mode": "slow"]
        live.value = .map(edited)
        let reported = Objects.plan([desired], live: [live]).actions.first
        #expect(reported?.kind == .drift)
        #expect(reported?.changes.map(\.path) == ["data.mode"])
        #expect(reported?.isChange == false)

        let healed = Planner(selfHeal: true).plan(ClusterDesiredState(cluster: Objects.cluster, environments: ["prod"], objects: [desired]), live: [live])
        #expect(healed.actions.first?.kind == .update)
    }
}
