import Foundation

extension ReconcileLoop {
    /// Shares the clusters with other replicas through `coordinator`'s shard Leases: each round
    /// plans and syncs only the clusters of the shards this replica holds when it starts (every
    /// change checks the shard again), a step that gains shards starts a round at once, and the
    /// status names the replica that holds each of the other clusters' shards.
    public func share(_ coordinator: ShardCoordinator) async {
        ownership = { await coordinator.ownership() }
        shardTable = { coordinator.table }
        gate { await coordinator.holdsAnyShard }
        await coordinator.onGainingShards { [weak self] in await self?.trigger(.shardsGained) }
    }
}
