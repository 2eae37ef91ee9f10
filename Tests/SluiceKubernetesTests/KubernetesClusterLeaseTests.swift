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

/// One Sluice per Kubernetes cluster across hosts (issue 12, failure 4): a `coordination.k8s.io/v1`
/// Lease on the cluster, against the fake API server (which keeps Leases as a real API server
/// does: ordinary objects whose writes carry a resourceVersion, 409 Conflict on a stale one).
/// Each "host" has a client of its own and a holder with its own host name.
@Suite("Kubernetes cluster lease: one Sluice per cluster across hosts")
struct KubernetesClusterLeaseTests {
    final class Hosts: @unchecked Sendable {
        let fake: KubeFakeServer
        let connection: KubernetesConnection
        let name = KubernetesClusterLease.leaseName(cluster: "k8s", instance: "sluice")

        init() throws {
            fake = try KubeFakeServer()
            connection = try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin")
        }

        func client() throws -> KubernetesClient {
            try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache())
        }

        /// The lease as Sluice on `host` sees it.
        /// Long enough that no loaded test run outlasts it; the tests of expiry set their own.
        func lease(duration: Duration = .seconds(600)) throws -> KubernetesClusterLease {
            KubernetesClusterLease(cluster: "k8s", client: try client(), namespace: "default", name: name, duration: duration)
        }

        func record() async throws -> KubernetesClient.LeaseRecord? {
            try await client().lease(namespace: "default", name: name)
        }
    }

    static func holder(_ host: String, pid: Int32, command: String = "sluice sync") -> ClusterLock.Holder {
        ClusterLock.Holder(pid: pid, host: host, command: command, since: Date())
    }

    @Test("the lease name is a valid object name, per cluster and instance")
    func leaseNames() {
        #expect(KubernetesClusterLease.leaseName(cluster: "k8s", instance: "sluice") == "sluice-sync-k8s")
        #expect(KubernetesClusterLease.leaseName(cluster: "k8s", instance: "team-b") == "team-b-sync-k8s")
        let odd = KubernetesClusterLease.leaseName(cluster: "EU_West", instance: "sluice")
        #expect(Names.isDNS1123Label(odd), "\(odd)")
        #expect(odd != KubernetesClusterLease.leaseName(cluster: "eu-west", instance: "sluice"), "a mangled name carries a hash of the original")
        let long = KubernetesClusterLease.leaseName(cluster: String(repeating: "a", count: 80), instance: "sluice")
        #expect(Names.isDNS1123Label(long) && long.count <= 63, "\(long)")
    }

    @Test("a second holder on another host is refused, naming the first (command, pid, host); after release it proceeds")
    func refusedThenProceeds() async throws {
        let hosts = try Hosts()
        let first = try hosts.lease(), second = try hosts.lease()
        try await first.acquire(Self.holder("host-a", pid: 4242), wait: .zero)
        #expect(await first.isHeld)

        let error = await #expect(throws: ClusterLeaseError.self) {
            try await second.acquire(Self.holder("host-b", pid: 777), wait: .zero)
        }
        #expect(error?.holder?.host == "host-a" && error?.holder?.pid == 4242 && error?.holder?.command == "sluice sync", "\(String(describing: error))")
        let said = error.map { "\($0)" } ?? ""
        #expect(said.contains("sluice sync (pid 4242 on host-a") && said.contains("default/sluice-sync-k8s"), "\(said)")
        #expect(error?.hint?.contains("wait until it has finished") == true)
        #expect(await !second.isHeld)

        // The second waits (bounded) while the first finishes; the release hands the lease over
        // at once instead of after its duration.
        let waiting = Task { try await second.acquire(Self.holder("host-b", pid: 777), wait: .seconds(20)) }
        try await Task.sleep(for: .milliseconds(600))
        await first.release()
        try await waiting.value
        #expect(await second.isHeld)
        let record = try #require(try await hosts.record())
        #expect(record.holderIdentity.hasPrefix("sluice sync (pid 777 on host-b)"), "\(record)")
        await second.release()
        #expect(try await hosts.record()?.holderIdentity == "", "released: the holder is cleared")
    }

    @Test("a waiting holder gives up after its wait and names the holder")
    func boundedWait() async throws {
        let hosts = try Hosts()
        let first = try hosts.lease(), second = try hosts.lease()
        try await first.acquire(Self.holder("host-a", pid: 1), wait: .zero)
        let started = ContinuousClock.now
        await #expect(throws: ClusterLeaseError.self) {
            try await second.acquire(Self.holder("host-b", pid: 2), wait: .seconds(1))
        }
        #expect(ContinuousClock.now - started >= .seconds(1), "it waited")
        await first.release()
    }

    @Test("a lease whose holder died expires and is taken over; a live one is not")
    func expiredLeaseIsTakenOver() async throws {
        let hosts = try Hosts()
        let client = try hosts.client()
        let dead = "sluice sync (pid 999 on host-dead) 0badf00d"
        // A holder that renewed just now: the lease holds (a duration no loaded test run outlasts).
        #expect(try await client.tryAcquireLease(namespace: "default", name: hosts.name, holder: dead, duration: .seconds(600)))
        let contender = try hosts.lease()
        let error = await #expect(throws: ClusterLeaseError.self) {
            try await contender.acquire(Self.holder("host-b", pid: 2), wait: .zero)
        }
        #expect(error?.holder?.host == "host-dead" && error?.holder?.pid == 999)
        #expect(error?.expires != nil && "\(error!)".contains("unless renewed"))

        // The same holder last renewed an hour ago and died: the lease ran out.
        #expect(try await client.tryAcquireLease(namespace: "default", name: hosts.name, holder: dead, duration: .seconds(600), now: Date() - 3600))
        try await contender.acquire(Self.holder("host-b", pid: 2), wait: .zero)
        let record = try #require(try await hosts.record())
        #expect(record.holderIdentity.hasPrefix("sluice sync (pid 2 on host-b)"))
        await contender.release()
    }

    @Test("the holder renews during a long sync, so the lease outlives its duration")
    func renewsWhileHeld() async throws {
        let hosts = try Hosts()
        // Renewed every third of its duration: only a pause of two thirds of it (10 s) could lose it.
        let holder = try hosts.lease(duration: .seconds(15))
        try await holder.acquire(Self.holder("host-a", pid: 1), wait: .zero)
        let acquired = try #require(try await hosts.record())
        try await Task.sleep(for: .seconds(18))
        let later = try #require(try await hosts.record())
        let renewed = try #require(later.renewTime), first = try #require(acquired.renewTime)
        #expect(renewed > first, "renewed")
        #expect(!later.isFree(at: Date()), "still held after more than its duration")
        await #expect(throws: ClusterLeaseError.self) {
            try await hosts.lease().acquire(Self.holder("host-b", pid: 2), wait: .zero)
        }
        try await holder.checkHeld()
        await holder.release()
    }

    @Test("a holder whose lease was taken over stops before its next change")
    func lostLeaseStopsChanges() async throws {
        let hosts = try Hosts()
        let holder = try hosts.lease(duration: .seconds(3))
        try await holder.acquire(Self.holder("host-a", pid: 1), wait: .zero)
        // Another host took the lease (as after a pause longer than the duration): the next
        // renewal finds it and the holder counts the lease as lost.
        let client = try hosts.client()
        // The holder renews meanwhile, so a write may meet a newer resourceVersion (409): try again.
        var taken = false
        for _ in 0..<20 where !taken {
            taken = try await client.tryAcquireLease(namespace: "default", name: hosts.name, holder: "sluice serve (pid 5 on host-c) feedf00d",
                                                     duration: .seconds(600), now: Date() + 60)
        }
        #expect(taken)
        for _ in 0..<100 where await holder.isHeld { try await Task.sleep(for: .milliseconds(100)) }
        #expect(await !holder.isHeld)
        let error = await #expect(throws: ClusterLeaseError.self) { try await holder.checkHeld() }
        #expect(error?.lost?.contains("host-c") == true && "\(error!)".contains("stopping before another change"), "\(String(describing: error))")
        await holder.release()
        #expect(try await hosts.record()?.holderIdentity.contains("host-c") == true, "the release leaves the new holder's lease alone")
    }

    @Test("sync through the kubernetes driver: a second Sluice's plan is refused while serve holds the cluster, then proceeds")
    func syncersOnOneCluster() async throws {
        let world = try KubernetesDriverTests.World()
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }
        var serveOptions = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        serveOptions.lockHolder = "sluice serve"
        serveOptions.lockWait = .zero
        var syncOptions = serveOptions
        syncOptions.lockHolder = "sluice sync"

        let specs = DirectoryTree(path: world.work.url.appendingPathComponent("specs").path)
        let serve = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: serveOptions)
        #expect(serve.plan.clusters.first?.failure == nil, "\(String(describing: serve.plan.clusters.first?.failure))")
        let manual = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: syncOptions)
        let failure = try #require(manual.plan.clusters.first?.failure)
        #expect({ if case .locked = failure { true } else { false } }(), "another holder is a lock refusal: \(failure)")
        let refusal = failure.description
        #expect(refusal.contains("sluice serve (pid \(getpid()) on") && refusal.contains("/api/v1/sync"), "\(refusal)")
        #expect(manual.plan.clusters.first?.actions.isEmpty == true, "nothing planned, nothing applied")
        await manual.syncer.close()

        let report = await serve.syncer.sync(serve.plan, state: serve.state, environments: serve.specs.environments, options: serveOptions)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        await serve.syncer.close()

        let after = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: syncOptions)
        #expect(after.plan.clusters.first?.failure == nil, "\(String(describing: after.plan.clusters.first?.failure))")
        await after.syncer.close()
    }

    @Test("credentials without rights on leases in the lock namespace fail the cluster with the grant; spec.kubernetes.lockNamespace moves the lease")
    func lockNamespace() async throws {
        let world = try KubernetesDriverTests.World(context: "namespaced")
        let admin = try KubernetesClient(connection: KubeConfig.load(paths: [world.fake.kubeconfigPath]).connection(context: "admin"))
        try await admin.ensureNamespace("apps", labels: [:])
        var options = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        options.lockHolder = "sluice sync"
        options.lockWait = .zero
        let specs = DirectoryTree(path: world.work.url.appendingPathComponent("specs").path)

        // The team's service account may use only `apps`; the lease defaults to `default`.
        let refused = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: options)
        let error = try #require(refused.plan.clusters.first?.failure).description
        #expect(error.contains("cannot take the Lease default/sluice-sync-k8s") && error.contains("403"), "\(error)")
        #expect(error.contains("grant get, create and update on leases.coordination.k8s.io in the namespace default")
                && error.contains("spec.kubernetes.lockNamespace"), "\(error)")
        await refused.syncer.close()

        // Without lockNamespace the lease lives in the context's namespace (in a pod: the pod's own),
        // as kubectl defaults a namespace.
        let kubeconfig = try String(contentsOfFile: world.fake.kubeconfigPath, encoding: .utf8)
            .replacingOccurrences(of: "user: namespaced, namespace: default", with: "user: namespaced, namespace: apps")
        // Beside the fake's own kubeconfig: a folder the test's host path roots allow.
        let appsContext = URL(fileURLWithPath: world.fake.kubeconfigPath).deletingLastPathComponent().appendingPathComponent("kubeconfig-apps")
        try kubeconfig.write(to: appsContext, atomically: true, encoding: .utf8)
        _ = try world.work.write("specs/clusters/k.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: k8s, labels: {purpose: test}}
            spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(appsContext.path), context: namespaced}}
            """)
        let inContext = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: options)
        #expect(inContext.plan.clusters.first?.failure == nil, "\(String(describing: inContext.plan.clusters.first?.failure))")
        #expect(try await admin.lease(namespace: "apps", name: "sluice-sync-k8s")?.holderIdentity.hasPrefix("sluice sync (pid") == true)
        await inContext.syncer.close()

        _ = try world.work.write("specs/clusters/k.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: k8s, labels: {purpose: test}}
            spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(world.fake.kubeconfigPath), context: namespaced, lockNamespace: apps}}
            """)
        let planned = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: options)
        #expect(planned.plan.clusters.first?.failure == nil, "\(String(describing: planned.plan.clusters.first?.failure))")
        let lease = try await admin.lease(namespace: "apps", name: "sluice-sync-k8s")
        #expect(lease?.holderIdentity.hasPrefix("sluice sync (pid \(getpid()) on ") == true, "\(String(describing: lease))")
        await planned.syncer.close()
        #expect(try await admin.lease(namespace: "apps", name: "sluice-sync-k8s")?.holderIdentity == "")

        _ = try world.work.write("specs/clusters/k.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: k8s, labels: {purpose: test}}
            spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(world.fake.kubeconfigPath), lockNamespace: Not_A_Namespace}}
            """)
        await #expect(throws: (any Error).self) {
            _ = try await Pipeline(stateDirectory: world.state).plan(specs, revision: "test", options: options)
        }
    }

    @Test("sluice sync in another process refuses with exit 3 while another host's serve holds the lease")
    func cliRefusesNamingTheHolder() async throws {
        let world = try KubernetesDriverTests.World()
        let client = try KubernetesClient(connection: KubeConfig.load(paths: [world.fake.kubeconfigPath]).connection(context: "admin"))
        let name = KubernetesClusterLease.leaseName(cluster: "k8s", instance: "sluice")
        #expect(try await client.tryAcquireLease(namespace: "default", name: name, holder: "sluice serve (pid 4242 on host-b) 1234abcd", duration: .seconds(600)))
        let kubeconfigFolder = URL(fileURLWithPath: world.fake.kubeconfigPath).deletingLastPathComponent().path
        let result = try await SluiceBinary.run(["sync", "--repo", world.work.url.appendingPathComponent("specs").path,
                                                 "--state-dir", world.state.path, "--allowed-path-root", kubeconfigFolder, "--health-timeout", "20"],
                                                environment: ["SLUICE_INSTANCE": "sluice"])
        #expect(result.status == 3, "\(result)")
        let said = result.stdout + result.stderr
        #expect(said.contains("sluice serve (pid 4242 on host-b") && said.contains("/api/v1/sync"), "\(said)")
        #expect(try await world.settings() == nil, "the refused sync changed nothing")
    }
}
