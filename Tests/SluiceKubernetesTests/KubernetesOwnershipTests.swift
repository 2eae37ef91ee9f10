import Foundation
import SluiceCore
import SluiceKubernetes
import SluicePipeline
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// Owner identities (ApplySets), drift by other managers, deletes that wait for finalizers and
/// namespaced operation, through the whole pipeline against the fake API server.
@Suite("Kubernetes ownership, drift, deletes and scope")
struct KubernetesOwnershipTests {
    /// One team's spec repository and state directory, on a shared fake API server.
    final class Team: @unchecked Sendable {
        let fake: KubeFakeServer?
        let work: TemporaryDirectory
        let namespace: String
        var state: URL { work.url.appendingPathComponent("state") }
        var specs: String { work.url.appendingPathComponent("specs").path }

        convenience init(fake: KubeFakeServer, cluster: String, environment: String, namespace: String, context: String = "admin",
                         scope: String? = nil, propagation: String? = nil, ignore: [String] = []) throws {
            try self.init(kubeconfig: fake.kubeconfigPath, context: context, fake: fake, cluster: cluster, environment: environment,
                          namespace: namespace, scope: scope, propagation: propagation, ignore: ignore)
        }

        /// A team on any API server: `context` nil is the kubeconfig's current context. `ignore`
        /// holds the Environment's `spec.ignore` rules, one flow mapping each.
        init(kubeconfig: String, context: String?, fake: KubeFakeServer? = nil, cluster: String, environment: String, namespace: String,
             scope: String? = nil, propagation: String? = nil, ignore: [String] = []) throws {
            self.fake = fake
            self.namespace = namespace
            work = try TemporaryDirectory(prefix: "sluice-kube-team")
            // The Cluster names the kubeconfig: a host path the operator must allow.
            HostPathPolicy.shared.allow(URL(fileURLWithPath: kubeconfig).deletingLastPathComponent().path)
            var kubernetes = "kubeconfig: \(kubeconfig)"
            if let context { kubernetes += ", context: \(context)" }
            if let scope { kubernetes += ", scope: \(scope)" }
            if let propagation { kubernetes += ", deletePropagation: \(propagation)" }
            _ = try work.write("specs/clusters/k.yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: \(cluster), labels: {purpose: test}}
                spec: {tier: public, driver: kubernetes, kubernetes: {\(kubernetes)}}
                """)
            _ = try work.write("specs/environments/e.yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: \(environment)}
                spec:
                  namespace: \(namespace)
                  clusters: {matchLabels: {purpose: test}}
                  jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}
                """ + (ignore.isEmpty ? "" : "\n  ignore:\n" + ignore.map { "  - \($0)\n" }.joined()))
        }

        func configMap(_ name: String, data: String = "a: '1'", annotations: String? = nil) throws {
            let extra = annotations.map { ", annotations: {\($0)}" } ?? ""
            _ = try work.write("specs/jobs/\(name).yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: \(name), labels: {app.kubernetes.io/part-of: shop}\(extra)}
                data: {\(data)}
                """)
        }

        func remove(_ name: String) throws {
            try FileManager.default.removeItem(at: work.url.appendingPathComponent("specs/jobs/\(name).yaml"))
        }

        func plan(_ options: SyncOptions = Team.options()) async throws -> Pipeline.Planned {
            try await Pipeline(stateDirectory: state).plan(DirectoryTree(path: specs), revision: "test", options: options)
        }

        func sync(_ options: SyncOptions = Team.options()) async throws -> (Plan, SyncReport) {
            let planned = try await plan(options)
            let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options)
            await planned.syncer.close()
            return (planned.plan, report)
        }

        static func options(prune: Bool = true, selfHeal: Bool = false, healthTimeout: Duration = .seconds(10)) -> SyncOptions {
            SyncOptions(prune: prune, selfHeal: selfHeal, healthTimeout: healthTimeout, healthPollInterval: .milliseconds(50))
        }
    }

    static func admin(_ fake: KubeFakeServer, fieldManager: String = "test-admin") throws -> KubernetesClient {
        try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"), fieldManager: fieldManager)
    }

    static func configMap(_ client: KubernetesClient, _ namespace: String, _ name: String) async throws -> Value? {
        try await client.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: namespace, name: name))
    }

    @Test("the ApplySet id is computed as kubectl computes it")
    func applySetID() {
        // kubectl (staging/src/k8s.io/kubectl/pkg/cmd/apply/applyset.go, ID()): "applyset-" +
        // base64.RawURLEncoding(sha256("<name>.<namespace>.<kind>.<group>")) + "-v1"; the
        // expected values were computed with Python's hashlib and base64.urlsafe_b64encode.
        #expect(ApplySet.id(name: "test-parent", namespace: "default", kind: "ConfigMap", group: "") == "applyset-4ssGZAcjfkDbJu2lESygwHQZ84kvqU-4KbF2cjq8EGQ-v1")
        let set = ApplySet(instance: "sluice", cluster: "k8s", environment: "prod", namespace: "apps")
        #expect(set.name == "sluice.sluice.k8s.prod")
        #expect(set.id == "applyset-bNUEFdptYSMslcxd72bG20bWSiGZIBNPM6k2M3yM1Vg-v1")
        let odd = ApplySet(instance: "Team A", cluster: "k8s", environment: "prod", namespace: "apps")
        #expect(odd.name.hasPrefix("sluice.team-a.k8s.prod."), "\(odd.name)")
        #expect(odd.id != set.id)
    }

    @Test("two Sluice specs on one API server never prune each other; objects carry part-of and the parent follows KEP-3659")
    func twoInstances() async throws {
        let fake = try KubeFakeServer()
        let teamA = try Team(fake: fake, cluster: "shared-a", environment: "team-a", namespace: "team-a")
        let teamB = try Team(fake: fake, cluster: "shared-b", environment: "team-b", namespace: "team-b")
        for name in ["settings-a", "a2", "a3"] { try teamA.configMap(name) }
        try teamB.configMap("settings-b")
        var (_, report) = try await teamA.sync()
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        let planB: Plan
        (planB, report) = try await teamB.sync()
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(!(planB.clusters.first?.actions.contains { $0.kind == .delete } ?? true), "team-b's prune must not see team-a's objects")
        let admin = try Self.admin(fake)
        let a = try #require(try await Self.configMap(admin, "team-a", "settings-a"), "team-a's ConfigMap survived team-b's sync")
        let set = ApplySet(instance: "sluice", cluster: "shared-a", environment: "team-a", namespace: "team-a")
        #expect(a[path: "metadata", "labels", ApplySet.partOfLabel]?.stringValue == set.id)
        let parent = try #require(try await Self.configMap(admin, "team-a", set.name))
        #expect(parent[path: "metadata", "labels", ApplySet.idLabel]?.stringValue == set.id)
        #expect(parent[path: "metadata", "annotations", ApplySet.toolingAnnotation]?.stringValue == "sluice/v1")
        #expect(parent[path: "metadata", "annotations", ApplySet.groupKindsAnnotation]?.stringValue == "ConfigMap")
        #expect(parent[path: "metadata", "labels", Ownership.managedByLabel] == nil, "the parent is not a member of its own set")

        // Team A removes an object: pruned; team B's stays.
        try teamA.remove("settings-a")
        let planA: Plan
        (planA, report) = try await teamA.sync()
        #expect(planA.clusters.first?.changes.map(\.kind) == [.delete])
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(try await Self.configMap(admin, "team-a", "settings-a") == nil)
        #expect(try await Self.configMap(admin, "team-b", "settings-b") != nil)
    }

    @Test("objects an earlier Sluice applied are adopted once with a plan line and never deleted by the migration")
    func adoption() async throws {
        let fake = try KubeFakeServer()
        let admin = try Self.admin(fake, fieldManager: "sluice")
        try await admin.ensureNamespace("apps", labels: [:])
        for name in ["kept", "leftover"] {
            _ = try await admin.apply(["apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": ["name": .string(name), "namespace": "apps",
                                                    "labels": ["app.kubernetes.io/part-of": "shop", Ownership.managedByLabel: "sluice", Ownership.environmentLabel: "prod"]],
                                       "data": ["a": "1"]])
        }
        let team = try Team(fake: fake, cluster: "k8s", environment: "prod", namespace: "apps")
        try team.configMap("kept")
        let (plan, report) = try await team.sync()
        let actions = plan.clusters.first?.actions ?? []
        let adopt = try #require(actions.first { $0.identity.name == "kept" })
        #expect(adopt.kind == .update && adopt.reason.hasPrefix("adopt"), "\(adopt.kind): \(adopt.reason)")
        let leftover = try #require(actions.first { $0.identity.name == "leftover" })
        #expect(leftover.kind == .orphan, "\(leftover.kind): \(leftover.reason)")
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        let set = ApplySet(instance: "sluice", cluster: "k8s", environment: "prod", namespace: "apps")
        #expect(try await Self.configMap(admin, "apps", "kept")?[path: "metadata", "labels", ApplySet.partOfLabel]?.stringValue == set.id)
        #expect(try await Self.configMap(admin, "apps", "leftover") != nil, "pruning never deletes a pre-ApplySet object")
        // Adopted once: the next plan has nothing to do for it.
        let again = try await team.plan()
        #expect(again.plan.clusters.first?.actions.first { $0.identity.name == "kept" }?.kind == KindOfAction.none)
    }

    @Test("an object in another instance's set is a conflict, not a takeover")
    func foreignMember() async throws {
        let fake = try KubeFakeServer()
        let teamA = try Team(fake: fake, cluster: "one", environment: "prod", namespace: "apps")
        try teamA.configMap("settings")
        _ = try await teamA.sync()
        let teamB = try Team(fake: fake, cluster: "two", environment: "prod", namespace: "apps")
        try teamB.configMap("settings", data: "a: '2'")
        let (plan, report) = try await teamB.sync()
        let action = try #require(plan.clusters.first?.actions.first { $0.identity.name == "settings" })
        #expect(action.kind == .conflict && action.reason.contains("another Sluice"), "\(action.kind): \(action.reason)")
        #expect(report.clusters.first?.status == .failed)
        #expect(try await Self.configMap(Self.admin(fake), "apps", "settings")?[path: "data", "a"]?.stringValue == "1")
    }

    @Test("a key another manager added is drift naming the manager; self-heal removes it unless sluice.dev/keep-fields keeps it")
    func otherManagers() async throws {
        let fake = try KubeFakeServer()
        let team = try Team(fake: fake, cluster: "k8s", environment: "prod", namespace: "apps")
        try team.configMap("settings")
        try team.configMap("tolerant", annotations: "sluice.dev/keep-fields: data.extra-key")
        _ = try await team.sync()
        let patcher = try Self.admin(fake, fieldManager: "kubectl-patch")
        for name in ["settings", "tolerant"] {
            _ = try await patcher.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "apps"],
                                         "data": ["extra-key": "oob"]])
        }
        let (plan, _) = try await team.sync(Team.options(selfHeal: false))
        let drift = try #require(plan.clusters.first?.actions.first { $0.identity.name == "settings" })
        #expect(drift.kind == .drift, "\(drift.kind): \(drift.reason)")
        #expect(drift.reason.contains("kubectl-patch"))
        #expect(drift.changes.contains { $0.path == "data.extra-key" && $0.manager == "kubectl-patch" }, "\(drift.changes)")
        #expect(plan.clusters.first?.actions.first { $0.identity.name == "tolerant" }?.kind == KindOfAction.none)

        let (_, report) = try await team.sync(Team.options(selfHeal: true))
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        let admin = try Self.admin(fake)
        #expect(try await Self.configMap(admin, "apps", "settings")?[path: "data", "extra-key"] == nil, "self-heal removed it")
        #expect(try await Self.configMap(admin, "apps", "tolerant")?[path: "data", "extra-key"]?.stringValue == "oob", "kept by the rule")
        let after = try await team.plan()
        #expect(!after.plan.hasChanges, "\(after.plan.clusters.first?.changes.map { "\($0.identity) \($0.reason)" } ?? [])")
    }

    @Test("self-heal removes nothing from an object that changed after the plan read it; the next sync removes what is foreign then")
    func selfHealAfterConcurrentChange() async throws {
        let fake = try KubeFakeServer()
        let team = try Team(fake: fake, cluster: "k8s", environment: "prod", namespace: "apps")
        try team.configMap("settings")
        _ = try await team.sync()
        let patcher = try Self.admin(fake, fieldManager: "kubectl-patch")
        let ref = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "settings")
        try await patcher.patch(ref, ["data": ["extra-key": "oob"]], type: .merge)
        let planned = try await team.plan(Team.options(selfHeal: true))
        #expect(planned.plan.clusters.first?.actions.first { $0.identity.name == "settings" }?.kind == .update)
        // Someone changes the object between the plan and the sync.
        try await patcher.patch(ref, ["data": ["later": "newer"]], type: .merge)
        let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments,
                                               options: Team.options(selfHeal: true))
        await planned.syncer.close()
        #expect(report.clusters.first?.status == .failed)
        let message = report.clusters.first?.message ?? ""
        #expect(message.contains("self-heal left data.extra-key on") && message.contains("it changed on the cluster after the plan read it"), "\(message)")
        let live = try #require(try await Self.configMap(Self.admin(fake), "apps", "settings"))
        #expect(live[path: "data", "extra-key"]?.stringValue == "oob", "nothing removed on a stale plan")
        #expect(live[path: "data", "later"]?.stringValue == "newer")

        let (plan, again) = try await team.sync(Team.options(selfHeal: true))
        #expect(again.succeeded, "\(again.clusters.map(\.message))")
        let changes = plan.clusters.first?.actions.first { $0.identity.name == "settings" }?.changes.map(\.path) ?? []
        #expect(changes.sorted() == ["data.extra-key", "data.later"], "\(changes)")
        let healed = try #require(try await Self.configMap(Self.admin(fake), "apps", "settings"))
        #expect(healed[path: "data"] == ["a": "1"], "\(healed[path: "data"] ?? nil)")
    }

    @Test("a delete waits for finalizers, reports them, and is finished by a later sync once they are gone")
    func finalizers() async throws {
        let fake = try KubeFakeServer()
        let team = try Team(fake: fake, cluster: "k8s", environment: "prod", namespace: "apps")
        try team.configMap("keep")
        try team.configMap("held")
        _ = try await team.sync()
        let controller = try Self.admin(fake, fieldManager: "example-controller")
        _ = try await controller.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "held", "namespace": "apps", "finalizers": ["example.com/hold"]]])
        try team.remove("held")
        var (plan, report) = try await team.sync(Team.options(healthTimeout: .milliseconds(600)))
        #expect(plan.clusters.first?.changes.map(\.kind) == [.delete])
        #expect(report.clusters.first?.status == .failed, "not reported as done while the finalizer holds it")
        #expect(report.clusters.first?.message.contains("deleting (waiting for finalizers: example.com/hold)") == true, "\(report.clusters.first?.message ?? "")")
        (plan, _) = (try await team.plan().plan, report)
        #expect(plan.clusters.first?.changes.first?.reason == "deleting (waiting for finalizers: example.com/hold)")
        // The controller lets go: the next sync sees it gone and is in sync.
        _ = try await controller.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "held", "namespace": "apps", "finalizers": []]])
        #expect(try await Self.configMap(Self.admin(fake), "apps", "held") == nil)
        (plan, report) = try await team.sync()
        #expect(!plan.hasChanges)
        #expect(report.succeeded)
    }

    @Test("credentials with rights in one namespace: live state is read per namespace, by Cluster setting or after a 403")
    func namespacedOperation() async throws {
        let fake = try KubeFakeServer(namespacedNamespaces: ["apps"])
        let admin = try Self.admin(fake)
        try await admin.ensureNamespace("apps", labels: [:])
        for scope in [nil, "namespaced"] {
            let team = try Team(fake: fake, cluster: "k8s-\(scope ?? "auto")", environment: "prod", namespace: "apps", context: "namespaced", scope: scope)
            try team.configMap("settings-\(scope ?? "auto")")
            let before = try fake.requests().count
            var (plan, report) = try await team.sync()
            #expect(report.succeeded, "\(scope ?? "auto"): \(report.clusters.map(\.message)) \(plan.clusters.map { $0.failure?.description ?? "" })")
            (plan, report) = try await team.sync()
            #expect(!plan.hasChanges && report.succeeded, "\(plan.clusters.map { $0.failure?.description ?? "" })")
            let requests = try fake.requests().dropFirst(before)
            let clusterWide = requests.filter { $0.hasPrefix("GET /api/v1/configmaps") }
            if scope == "namespaced" {
                #expect(clusterWide.isEmpty, "no cluster-wide list when the Cluster says namespaced: \(clusterWide)")
            }
            #expect(requests.contains { $0.hasPrefix("GET /api/v1/namespaces/apps/configmaps?") })
        }
    }

    @Test("a 403 names the exact grant: a Role in the namespace, or a ClusterRole for all namespaces")
    func forbiddenHints() async throws {
        let fake = try KubeFakeServer(namespacedNamespaces: ["apps"])
        let client = try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "namespaced"))
        let all = await expectError(KubernetesError.self) {
            _ = try await client.list(apiVersion: "v1", kind: "ConfigMap", namespace: nil, labelSelector: "")
        }
        #expect(all?.hint?.contains("ClusterRole with list on configmaps and a ClusterRoleBinding to the user system:serviceaccount:team-a:sluice") == true, "\(all?.hint ?? "")")
        #expect(all?.hint?.contains("spec.kubernetes.scope: namespaced") == true)
        let one = await expectError(KubernetesError.self) {
            _ = try await client.list(apiVersion: "v1", kind: "ConfigMap", namespace: "other", labelSelector: "")
        }
        #expect(one?.hint?.contains("a Role in other with that rule and a RoleBinding in other") == true, "\(one?.hint ?? "")")
    }

    @Test("a no-op plan of an unchanged cluster needs no dry-run applies and few requests; a change by another manager brings the dry run back")
    func noDryRunWhenUnchanged() async throws {
        let fake = try KubeFakeServer()
        let team = try Team(fake: fake, cluster: "k8s", environment: "prod", namespace: "apps")
        for i in 0..<60 { try team.configMap("cm-\(i)") }
        _ = try await team.sync()
        _ = try await team.plan()  // the first plan after the apply may verify; the cache now holds every object
        let before = try fake.requests().count
        let planned = try await team.plan()
        await planned.syncer.close()
        #expect(!planned.plan.hasChanges)
        let requests = Array(try fake.requests().dropFirst(before))
        #expect(!requests.contains { $0.contains("dryRun") }, "\(requests)")
        #expect(requests.count * 10 <= 60, "\(requests.count) requests for 60 objects: \(requests)")
        let other = try Self.admin(fake, fieldManager: "kubectl-edit")
        _ = try await other.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm-3", "namespace": "apps"], "data": ["a": "9"]], force: true)
        let mark = try fake.requests().count
        let drifted = try await team.plan()
        #expect(drifted.plan.clusters.first?.actions.first { $0.identity.name == "cm-3" }?.kind == .drift)
        #expect(try fake.requests().dropFirst(mark).filter { $0.contains("dryRun") }.count == 1)
    }
}

typealias KindOfAction = ActionKind

