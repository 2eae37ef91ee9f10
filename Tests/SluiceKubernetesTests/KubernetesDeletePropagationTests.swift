import Foundation
import SluiceKubernetes
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// `spec.kubernetes.deletePropagation` through the whole pipeline: a pruned owner whose dependent
/// (made by a controller, with an ownerReference and a finalizer of its own) shows what each
/// policy means on the API server. The fake's garbage collector follows the real one
/// (kube-controller-manager's garbagecollector; the registry turns Foreground and Orphan into the
/// `foregroundDeletion` and `orphan` finalizers).
@Suite("Kubernetes delete propagation")
struct KubernetesDeletePropagationTests {
    typealias Team = KubernetesOwnershipTests.Team

    /// A team with the ConfigMaps `owner` and `keep` applied, and a dependent of `owner` that a
    /// controller made and holds with a finalizer; then `owner` is removed from Git.
    static func ownerWithDependent(_ fake: KubeFakeServer, propagation: String?) async throws -> (Team, KubernetesClient) {
        let team = try Team(fake: fake, cluster: "k8s", environment: "prod", namespace: "apps", propagation: propagation)
        try team.configMap("owner")
        try team.configMap("keep")
        let (_, applied) = try await team.sync()
        #expect(applied.succeeded)
        let controller = try KubernetesOwnershipTests.admin(fake, fieldManager: "example-controller")
        let uid = try #require(try await KubernetesOwnershipTests.configMap(controller, "apps", "owner")?[path: "metadata", "uid"]?.stringValue)
        _ = try await controller.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": [
            "name": "dependent", "namespace": "apps", "finalizers": ["example.com/hold"],
            "ownerReferences": [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": .string(uid), "blockOwnerDeletion": true]]]])
        try team.remove("owner")
        return (team, controller)
    }

    static func deleteRequests(_ fake: KubeFakeServer) throws -> [String] {
        try fake.requests().filter { $0.hasPrefix("DELETE /api/v1/namespaces/apps/configmaps/owner") }
    }

    @Test("Foreground: the owner stays with the foregroundDeletion finalizer until its dependent is gone; the sync waits and says so")
    func foreground() async throws {
        let fake = try KubeFakeServer()
        let (team, controller) = try await Self.ownerWithDependent(fake, propagation: "Foreground")
        let (plan, report) = try await team.sync(Team.options(healthTimeout: .milliseconds(600)))
        #expect(plan.clusters.first?.changes.map(\.kind) == [.delete])
        #expect(try Self.deleteRequests(fake) == ["DELETE /api/v1/namespaces/apps/configmaps/owner?propagationPolicy=Foreground"])
        #expect(report.clusters.first?.status == .failed, "not reported as deleted while the owner waits for its dependents")
        #expect(report.clusters.first?.message.contains("deleting (waiting for finalizers: foregroundDeletion)") == true, "\(report.clusters.first?.message ?? "")")
        let owner = try await KubernetesOwnershipTests.configMap(controller, "apps", "owner")
        #expect(owner.flatMap(KubernetesClient.pendingFinalizers) == ["foregroundDeletion"])
        let dependent = try await KubernetesOwnershipTests.configMap(controller, "apps", "dependent")
        #expect(dependent.flatMap(KubernetesClient.pendingFinalizers) == ["example.com/hold"], "the collector deletes the dependent first")

        // The controller lets the dependent go: the owner follows, and the next sync is in sync.
        _ = try await controller.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "dependent", "namespace": "apps", "finalizers": []]])
        #expect(try await KubernetesOwnershipTests.configMap(controller, "apps", "dependent") == nil)
        #expect(try await KubernetesOwnershipTests.configMap(controller, "apps", "owner") == nil)
        let (after, again) = try await team.sync()
        #expect(!after.hasChanges)
        #expect(again.succeeded)
        #expect(try await KubernetesOwnershipTests.configMap(controller, "apps", "keep") != nil)
    }

    @Test("Orphan: the owner goes and its dependent stays, without the ownerReference")
    func orphan() async throws {
        let fake = try KubeFakeServer()
        let (team, controller) = try await Self.ownerWithDependent(fake, propagation: "Orphan")
        let (plan, report) = try await team.sync(Team.options(healthTimeout: .seconds(5)))
        #expect(plan.clusters.first?.changes.map(\.kind) == [.delete])
        #expect(try Self.deleteRequests(fake) == ["DELETE /api/v1/namespaces/apps/configmaps/owner?propagationPolicy=Orphan"])
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(try await KubernetesOwnershipTests.configMap(controller, "apps", "owner") == nil)
        let dependent = try #require(try await KubernetesOwnershipTests.configMap(controller, "apps", "dependent"))
        #expect(dependent[path: "metadata", "deletionTimestamp"] == nil, "an orphan is not deleted")
        #expect(dependent[path: "metadata", "ownerReferences"] == nil, "the collector removed the reference to the deleted owner")
        #expect(!(try await team.plan().plan.hasChanges))
    }

    @Test("Background (the default, as kubectl): the owner goes at once, its dependent is deleted after it")
    func background() async throws {
        let fake = try KubeFakeServer()
        let (team, controller) = try await Self.ownerWithDependent(fake, propagation: nil)
        let (_, report) = try await team.sync(Team.options(healthTimeout: .seconds(5)))
        #expect(try Self.deleteRequests(fake) == ["DELETE /api/v1/namespaces/apps/configmaps/owner?propagationPolicy=Background"])
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(try await KubernetesOwnershipTests.configMap(controller, "apps", "owner") == nil)
        let dependent = try await KubernetesOwnershipTests.configMap(controller, "apps", "dependent")
        #expect(dependent.flatMap(KubernetesClient.pendingFinalizers) == ["example.com/hold"], "deleted, held by its own finalizer")
    }
}
