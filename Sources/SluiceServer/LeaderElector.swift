import Foundation
import SluiceKubernetes

/// Lease-based leader election (`coordination.k8s.io/v1`) for replicas of `sluice serve`: only
/// the holder syncs; the others serve reads and take over when the holder stops renewing.
public actor LeaderElector {
    public let namespace: String
    public let name: String
    public let holder: String
    private let client: KubernetesClient
    private let duration: Duration
    private let clock: @Sendable () -> Date
    public private(set) var isLeader = false
    public private(set) var lastError: String?

    /// `clock` stamps and judges the lease (replicas' clocks are assumed roughly in step, as client-go assumes).
    public init(client: KubernetesClient, namespace: String, name: String, holder: String, duration: Duration = .seconds(15),
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.clock = clock
        self.namespace = namespace
        self.name = name
        self.holder = holder
        self.duration = duration
    }

    /// One attempt to acquire or renew; a failed call makes this replica a follower (never two leaders).
    @discardableResult
    public func step() async -> Bool {
        do {
            isLeader = try await client.tryAcquireLease(namespace: namespace, name: name, holder: holder, duration: duration, now: clock())
            lastError = nil
        } catch {
            isLeader = false
            lastError = "\(error)"
        }
        return isLeader
    }

    /// Renews every third of the lease duration until cancelled.
    public func run() async {
        let period = duration / 3
        while !Task.isCancelled {
            await step()
            try? await Task.sleep(for: period)
        }
    }
}
