import Foundation
import SluiceKubernetes
import SluicePipeline
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// Who owns a field after applies and patches by several managers, and how self-heal removes
/// fields other managers added: against the fake and, with SLUICE_TEST_KUBECONFIG, a real API
/// server.
///
/// The rules (Kubernetes docs, Server-Side Apply, "Field management" and "Conflicts";
/// structured-merge-diff merge/update.go, Updater.Apply and Updater.Update): a field that two or
/// more appliers set to the same value is shared ("they share ownership of that field"); a conflict
/// is a field another manager owns whose value the apply changes, and force moves only those
/// fields; an Update (PUT, JSON Patch, merge patch) takes the fields whose value it changes or adds
/// and removes the fields it removes from every manager's set.
@Suite("Kubernetes field ownership contract")
struct KubernetesFieldOwnershipContractTests {
    /// The managers whose `fieldsV1` hold the field at `keys`.
    static func owners(_ object: Value, _ keys: [String]) -> Set<String> {
        var out = Set<String>()
        for entry in object[path: "metadata", "managedFields"]?.listValue ?? [] {
            var node = entry["fieldsV1"]
            for key in keys { node = node?["f:" + key] }
            if node != nil, let manager = entry["manager"]?.stringValue { out.insert(manager) }
        }
        return out
    }

    @Test("appliers that set a field to the value it has share it, with or without force; force takes over only fields whose value it changes",
          arguments: ContractTarget.available)
    func sharedOwnership(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let sluice = cluster.client
            let other = try cluster.client(fieldManager: "other-tool")
            _ = try await sluice.apply(cluster.configMap("shared", data: ["a": "1"]))
            // The same value is no conflict: both own data.a.
            var live = try await other.apply(cluster.configMap("shared", data: ["a": "1", "b": "2"]))
            #expect(Self.owners(live, ["data", "a"]) == ["sluice", "other-tool"])
            // Force with the values the object has takes nothing away: still shared.
            live = try await sluice.apply(cluster.configMap("shared", data: ["a": "1", "b": "2"]), force: true)
            #expect(Self.owners(live, ["data", "a"]) == ["sluice", "other-tool"])
            #expect(Self.owners(live, ["data", "b"]) == ["sluice", "other-tool"], "force on an equal value shares, it does not take over")
            // Leaving a shared field out only gives up the applier's own claim: the field stays.
            live = try await sluice.apply(cluster.configMap("shared", data: ["a": "1"]))
            #expect(live[path: "data", "b"]?.stringValue == "2", "a co-owned field survives an apply without it")
            #expect(Self.owners(live, ["data", "b"]) == ["other-tool"])
            // Changing a shared value conflicts with the co-owner; force moves only that field.
            let conflict = await expectError(ApplyConflict.self) {
                _ = try await sluice.apply(cluster.configMap("shared", data: ["a": "3"]))
            }
            #expect(conflict?.conflicts == [ApplyConflict.Field(field: ".data.a", manager: "other-tool")])
            live = try await sluice.apply(cluster.configMap("shared", data: ["a": "3"]), force: true)
            #expect(Self.owners(live, ["data", "a"]) == ["sluice"])
            #expect(Self.owners(live, ["data", "b"]) == ["other-tool"])
        }
    }

    @Test("a key kubectl patch added survives applying it and then leaving it out; a JSON Patch removes it, guarded by the resourceVersion",
          arguments: ContractTarget.available)
    func removingForeignFields(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let sluice = cluster.client
            let ref = cluster.configMapRef("settings")
            let first = try await sluice.apply(cluster.configMap("settings", data: ["a": "1"]))
            let stale = try #require(first[path: "metadata", "resourceVersion"]?.stringValue)
            // `kubectl patch --type merge` (for a ConfigMap's data the same as kubectl's default
            // strategic merge patch): an Update by the manager kubectl-patch.
            let patcher = try cluster.client(fieldManager: "kubectl-patch")
            var live = try await patcher.patch(ref, ["data": ["extra-key": "oob"]], type: .merge)
            #expect(Self.owners(live, ["data", "extra-key"]) == ["kubectl-patch"])
            #expect((live[path: "metadata", "managedFields"]?.listValue ?? []).contains {
                $0["manager"]?.stringValue == "kubectl-patch" && $0["operation"]?.stringValue == "Update"
            })

            // Taking it over by applying it with force, then applying without it, does not remove it.
            _ = try await sluice.apply(cluster.configMap("settings", data: ["a": "1", "extra-key": "oob"]), force: true)
            live = try await sluice.apply(cluster.configMap("settings", data: ["a": "1"]), force: true)
            #expect(live[path: "data", "extra-key"]?.stringValue == "oob")
            #expect(Self.owners(live, ["data", "extra-key"]) == ["kubectl-patch"])

            // A JSON Patch at an old resourceVersion fails as a whole: 422, nothing removed.
            let refused = await expectError(KubernetesError.self) {
                try await sluice.patch(ref, JSONPatch.removing([["data", "extra-key"]], ifResourceVersion: stale), type: .json)
            }
            #expect(refused?.status == 422 && refused?.reason == "Invalid", "\(refused?.message ?? "")")
            #expect(try await sluice.get(ref)?[path: "data", "extra-key"]?.stringValue == "oob")

            // At the current version it removes the key whoever owns it; the key leaves every
            // manager's set, and an Update that only removes records no entry for sluice.
            let current = try #require(live[path: "metadata", "resourceVersion"]?.stringValue)
            let missing = await expectError(KubernetesError.self) {
                try await sluice.patch(ref, JSONPatch.removing([["data", "no-such-key"]], ifResourceVersion: current), type: .json)
            }
            #expect(missing?.status == 422, "removing a field that is not there fails the patch")
            live = try await sluice.patch(ref, JSONPatch.removing([["data", "extra-key"]], ifResourceVersion: current), type: .json)
            #expect(live[path: "data", "extra-key"] == nil)
            #expect(live[path: "data", "a"]?.stringValue == "1")
            #expect(Self.owners(live, ["data", "extra-key"]).isEmpty)
            let sluiceEntries = (live[path: "metadata", "managedFields"]?.listValue ?? []).filter { $0["manager"]?.stringValue == "sluice" }
            #expect(sluiceEntries.compactMap { $0["operation"]?.stringValue } == ["Apply"])
            #expect(!(live[path: "metadata", "managedFields"]?.listValue ?? []).contains { $0["manager"]?.stringValue == "kubectl-patch" },
                    "kubectl-patch owned nothing else")
        }
    }

    @Test("JSON Pointers escape ~ and /, and a removal under another removed field is left to it")
    func pointers() {
        #expect(JSONPatch.pointer(["metadata", "annotations", "example.com/a~b"]) == "/metadata/annotations/example.com~1a~0b")
        let patch = JSONPatch.removing([["data", "x", "y"], ["data", "x"], ["data", "z"], ["data", "z"]], ifResourceVersion: "7")
        let operations = (patch.listValue ?? []).map { "\($0["op"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" }
        #expect(operations == ["test /metadata/resourceVersion", "remove /data/x", "remove /data/z"])
        #expect(patch.listValue?.first?["value"]?.stringValue == "7")
    }

    @Test("self-heal removes a key kubectl patch added; sluice.dev/keep-fields and an ignore rule by manager keep theirs",
          arguments: ContractTarget.available)
    func selfHealRemovesPatchedKeys(target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let team = try KubernetesOwnershipTests.Team(
                kubeconfig: cluster.fake?.kubeconfigPath ?? ContractTarget.realKubeconfig ?? "", context: nil, fake: cluster.fake,
                cluster: "k8s", environment: "prod", namespace: cluster.namespace,
                ignore: ["{kind: ConfigMap, name: tolerated, managedFieldsManagers: [example-controller]}"])
            try team.configMap("settings")
            try team.configMap("tolerant", annotations: "sluice.dev/keep-fields: data.extra-key")
            try team.configMap("tolerated")
            var (_, report) = try await team.sync()
            #expect(report.succeeded, "\(report.clusters.map(\.message))")
            let patcher = try cluster.client(fieldManager: "kubectl-patch")
            for name in ["settings", "tolerant"] {
                try await patcher.patch(cluster.configMapRef(name), ["data": ["extra-key": "oob"]], type: .merge)
            }
            let controller = try cluster.client(fieldManager: "example-controller")
            try await controller.patch(cluster.configMapRef("tolerated"), ["data": ["extra-key": "oob"]], type: .merge)

            var plan: Plan
            (plan, report) = try await team.sync(KubernetesOwnershipTests.Team.options(selfHeal: true))
            #expect(report.succeeded, "\(report.clusters.map(\.message))")
            let heal = try #require(plan.clusters.first?.actions.first { $0.identity.name == "settings" })
            #expect(heal.kind == .update && heal.reason.contains("kubectl-patch"), "\(heal.kind): \(heal.reason)")
            #expect(plan.clusters.first?.actions.first { $0.identity.name == "tolerant" }?.kind == KindOfAction.none)
            #expect(plan.clusters.first?.actions.first { $0.identity.name == "tolerated" }?.kind == KindOfAction.none)

            let settings = try #require(try await cluster.client.get(cluster.configMapRef("settings")))
            #expect(settings[path: "data", "extra-key"] == nil, "self-heal removed the key")
            #expect(settings[path: "data", "a"]?.stringValue == "1")
            #expect(Self.owners(settings, ["data", "extra-key"]).isEmpty)
            #expect(try await cluster.client.get(cluster.configMapRef("tolerant"))?[path: "data", "extra-key"]?.stringValue == "oob")
            #expect(try await cluster.client.get(cluster.configMapRef("tolerated"))?[path: "data", "extra-key"]?.stringValue == "oob")
            let after = try await team.plan(KubernetesOwnershipTests.Team.options(selfHeal: true))
            #expect(!after.plan.hasChanges, "\(after.plan.clusters.first?.changes.map { "\($0.identity) \($0.reason)" } ?? [])")
            await after.syncer.close()
        }
    }
}
