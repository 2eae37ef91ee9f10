#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The supervisor's working record of one deployment: the durable state plus what only lives while
/// the runtime runs (phase, pending restarts, the monitor task). Confined to the `FlinkSupervisor` actor.
final class ManagedCluster {
    var state: ClusterState
    let directory: ClusterDirectory
    var phase: ClusterPhase
    var reason: String?
    /// Processes that exited and wait for their backoff to pass.
    var pendingRestarts: [ProcessKey: ContinuousClock.Instant] = [:]
    /// Processes that exited too often and are no longer restarted.
    var degraded: Set<ProcessKey> = []
    var monitor: Task<Void, Never>?
    var lastCheckpointPoll: ContinuousClock.Instant?

    init(state: ClusterState, directory: ClusterDirectory, phase: ClusterPhase) {
        self.state = state
        self.directory = directory
        self.phase = phase
    }

    /// Every process the plan asks for.
    var expectedKeys: [ProcessKey] {
        [.jobManager] + (0..<state.plan.taskManagers).map { ProcessKey(role: .taskManager, index: $0 + 1) }
    }

    func record(_ key: ProcessKey) -> ProcessRecord? { state.processes.first { $0.key == key } }

    func save() throws { try state.save(directory.stateFile) }
}
