import Foundation
import SluiceKubernetes
import SluiceServer
import SluiceTestSupport
import Testing

@Suite("Leader election for replicas of sluice serve")
struct LeaderElectionTests {
    /// A clock the test moves by hand, so the test never races the real one on a loaded machine.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date()
        var now: Date { lock.withLock { current } }
        func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    }

    @Test("one replica leads; the follower takes over when the leader stops renewing")
    func takeover() async throws {
        let fake = try KubeFakeServer()
        let connection = try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin")
        let clock = ManualClock()
        func replica(_ holder: String) throws -> LeaderElector {
            LeaderElector(client: try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache()),
                          namespace: "default", name: "sluice", holder: holder, duration: .seconds(15), clock: { clock.now })
        }
        let first = try replica("replica-a"), second = try replica("replica-b")
        #expect(await first.step())
        #expect(await !second.step(), "the lease is held")
        clock.advance(10)
        #expect(await first.step(), "the holder renews")
        clock.advance(10)
        #expect(await !second.step(), "the renewal keeps the lease for another 15 s")
        // replica-a stops renewing (crashed or shutting down): once the lease expires replica-b leads.
        clock.advance(6)
        #expect(await second.step())
        #expect(await !first.step(), "the old leader is a follower now")
    }
}
