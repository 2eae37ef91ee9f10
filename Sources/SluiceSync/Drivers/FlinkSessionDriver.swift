import Foundation
import SluiceCore
import SluiceFlink
import SluiceSpec

/// The `flink` driver: a Flink session cluster reached over its REST API. Each FlinkDeployment or
/// FlinkSessionJob with a `spec.job` becomes a job on that cluster, under a Sluice job id; the
/// `JobReconciler` does the work.
public struct FlinkSessionDriver: ClusterDriver {
    public let cluster: ClusterSpec
    public let reconciler: JobReconciler

    public init(cluster: ClusterSpec, reconciler: JobReconciler) {
        self.cluster = cluster
        self.reconciler = reconciler
    }

    public func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        try await reconciler.liveState(desired: desired.map(\.identity))
    }

    public func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        guard let change = action.jobChange else { return .nothingToDo(action.kind) }
        return ActionOutcome(try await reconciler.apply(change))
    }

    public func health(of identity: ObjectIdentity) async throws -> Health {
        try await reconciler.health(of: identity)
    }

    public func describe(_ action: PlannedAction) async -> PlannedAction {
        guard action.kind == .rescale, let desired = action.desired?.value else { return action }
        var described = action
        switch await reconciler.inPlaceRescale(action.identity, desired: desired) {
        case .possible:
            described.reason += "; rescale in place (adaptive scheduler, the job keeps running)"
        case .impossible(let why):
            let mode = desired[path: "spec", "job", "upgradeMode"]?.stringValue ?? "stateless"
            described.reason += "; not in place (\(why)): \(mode) upgrade"
        }
        return described
    }

    /// Beside the applied store: `<state directory>/locks/<cluster>.lock`.
    public var lockFile: URL? {
        reconciler.store.file.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("locks").appendingPathComponent("\(cluster.name).lock")
    }
}

extension ActionOutcome {
    /// The outcome of a Flink lifecycle step that succeeded.
    init(_ transition: JobLifecycle.Transition) {
        self.init(.applied, transition.message, savepointPath: transition.savepointPath)
    }
}
