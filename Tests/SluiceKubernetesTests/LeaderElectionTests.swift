import Foundation
import SluiceKubernetes
import SluiceServer
import SluiceTestSupport
import Testing

@Suite("Leader election for replicas of sluice serve")
struct LeaderElectionTests {
    @Test("one replica leads; the follower takes over when the leader stops renewing")
    func takeover() async throws {
        let fake = try KubeFakeServer()
        let connection = try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin")
        let first = LeaderElector(client: try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache()),
                                  namespace: "default", name: "sluice", holder: "replica-a", duration: .seconds(2))
        let second = LeaderElector(client: try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache()),
                                   namespace: "default", name: "sluice", holder: "replica-b", duration: .seconds(2))
        #expect(await first.step())
        #expect(await !second.step(), "the lease is held")
        #expect(await first.step(), "the holder renews")
        // replica-a stops renewing (crashed or shutting down): after the lease duration replica-b leads.
        try await Task.sleep(for: .milliseconds(2600))
        #expect(await second.step())
        #expect(await !first.step(), "the old leader is a follower now")
    }
}
