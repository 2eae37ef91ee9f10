import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync

/// Which clusters a replica that shares them (`--shards`) plans and syncs in one round, read
/// when the round starts, and the guard every change checks while the round runs: a shard lost
/// in the middle of a round stops the changes of its clusters that have not started.
public struct ClusterOwnership: Sendable {
    /// Whether this replica owned the cluster when the round started.
    public var owns: @Sendable (String) -> Bool
    let coordinator: ShardCoordinator

    /// `driver`, checking before each change that this replica still holds the cluster's shard.
    public func guarded(_ driver: any ClusterDriver) -> any ClusterDriver {
        ShardGuardedDriver(inner: driver, coordinator: coordinator)
    }
}

/// A driver whose changes are refused once the replica no longer holds the cluster's shard; a
/// shard is not handed over while one of its changes is under way. Reads pass through.
struct ShardGuardedDriver: ClusterDriver {
    let inner: any ClusterDriver
    let coordinator: ShardCoordinator

    var cluster: ClusterSpec { inner.cluster }
    var maxConcurrentActions: Int { inner.maxConcurrentActions }
    var lockFile: URL? { inner.lockFile }

    func liveState(desired: [DesiredObject]) async throws -> [LiveObject] { try await inner.liveState(desired: desired) }

    func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        let shard = try await coordinator.beginChange(of: inner.cluster.name)
        do {
            let outcome = try await inner.apply(action)
            await coordinator.endChange(shard)
            return outcome
        } catch {
            await coordinator.endChange(shard)
            throw error
        }
    }

    func health(of identity: ObjectIdentity) async throws -> Health { try await inner.health(of: identity) }
    func close() async { await inner.close() }
    func describe(_ action: PlannedAction) async -> PlannedAction { await inner.describe(action) }
    func lockShared(command: String, wait: Duration) async throws { try await inner.lockShared(command: command, wait: wait) }
}
