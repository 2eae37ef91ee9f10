import Foundation
import SluiceHTTP
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

/// Where the client contract tests run: the fake API server (always), and a real API server when
/// `SLUICE_TEST_KUBECONFIG` names a kubeconfig (its current context).
enum ContractTarget: String, Sendable, CustomTestStringConvertible {
    case fake, real

    static var realKubeconfig: String? {
        ProcessInfo.processInfo.environment["SLUICE_TEST_KUBECONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The targets to run: the real one only when configured.
    static var available: [ContractTarget] { realKubeconfig == nil ? [.fake] : [.fake, .real] }

    var testDescription: String { self == .fake ? "fake API server" : "real API server (SLUICE_TEST_KUBECONFIG)" }
}

/// One test's cluster: an admin client and a namespace of its own (created here, deleted by
/// `cleanup`), plus the fake when the target is the fake.
final class ContractCluster: Sendable {
    let target: ContractTarget
    let fake: KubeFakeServer?
    let connection: KubernetesConnection
    let client: KubernetesClient
    let namespace: String

    /// Fast retries, so tests of 429 handling do not wait long.
    static let testRetry = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(20), maxDelay: .seconds(2))

    private init(target: ContractTarget, fake: KubeFakeServer?, connection: KubernetesConnection) throws {
        self.target = target
        self.fake = fake
        self.connection = connection
        client = try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache(), retry: Self.testRetry)
        namespace = "sluice-test-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func make(_ target: ContractTarget, crdsInstalled: Bool = true) async throws -> ContractCluster {
        let cluster: ContractCluster
        switch target {
        case .fake:
            let fake = try KubeFakeServer(crdsInstalled: crdsInstalled)
            cluster = try ContractCluster(target: target, fake: fake,
                                          connection: try KubeConfig.load(paths: [fake.kubeconfigPath]).connection())
        case .real:
            let path = try #require(ContractTarget.realKubeconfig)
            cluster = try ContractCluster(target: target, fake: nil, connection: try KubeConfig.load(paths: [path]).connection())
        }
        try await cluster.client.ensureNamespace(cluster.namespace, labels: ["app.kubernetes.io/managed-by": "sluice-tests"])
        return cluster
    }

    /// Another client on the same cluster, e.g. with a different field manager.
    func client(fieldManager: String, retry: RetryPolicy = ContractCluster.testRetry, timeout: Duration = .seconds(30)) throws -> KubernetesClient {
        try KubernetesClient(connection: connection, fieldManager: fieldManager, credentialCache: ExecCredentialCache(),
                             retry: retry, timeout: timeout)
    }

    /// Deletes the test namespace (and with it everything in it).
    func cleanup() async {
        try? await client.delete(ObjectReference(apiVersion: "v1", kind: "Namespace", name: namespace), propagation: "Background")
    }

    /// A ConfigMap manifest in the test namespace.
    func configMap(_ name: String, data: [String: String], labels: [String: String] = [:]) -> Value {
        var dataMap = Mapping(), labelMap = Mapping()
        for (key, value) in data.sorted(by: { $0.key < $1.key }) { dataMap[key] = .string(value) }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { labelMap[key] = .string(value) }
        var metadata = Mapping()
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        if !labelMap.isEmpty { metadata["labels"] = .map(labelMap) }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .map(metadata), "data": .map(dataMap)]
    }

    /// Waits (bounded) until the object is gone: on a real server a Foreground delete finishes
    /// only after the garbage collector removed the dependents and the finalizer.
    func isGone(_ ref: ObjectReference, within seconds: Double = 30) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await client.get(ref) == nil { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    func configMapRef(_ name: String) -> ObjectReference {
        ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: namespace, name: name)
    }
}

/// Runs `body` on a fresh cluster of `target` and always cleans up.
func withCluster(_ target: ContractTarget, crdsInstalled: Bool = true,
                 _ body: (ContractCluster) async throws -> Void) async throws {
    let cluster = try await ContractCluster.make(target, crdsInstalled: crdsInstalled)
    do {
        try await body(cluster)
    } catch {
        await cluster.cleanup()
        throw error
    }
    await cluster.cleanup()
}

/// Runs `body` and returns the error it threw, typed.
func expectError<E: Error>(_ type: E.Type, _ body: () async throws -> Void) async -> E? {
    do {
        try await body()
        Issue.record("expected \(type) but nothing was thrown")
        return nil
    } catch let error as E {
        return error
    } catch {
        Issue.record("expected \(type) but got \(error)")
        return nil
    }
}
