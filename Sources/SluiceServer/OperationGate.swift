/// Keeps a reconcile round and an operator's action on a cluster (a savepoint on request) from
/// running at once. Inside one `serve` process the cluster lock is already held, so it cannot do
/// this: a savepoint in the middle of an upgrade would interleave its journal records with the
/// upgrade's stop-with-savepoint and hide that step's intent from recovery.
///
/// A round waits for an action in progress (actions are bounded by the operation timeout); an
/// action is refused while a round runs, so the operator is told at once instead of waiting.
actor OperationGate {
    enum Holder: Sendable, Equatable {
        case round
        case action(String)
    }

    private(set) var holder: Holder?
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs a round once no action is in progress.
    func round<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        while holder != nil { await withCheckedContinuation { waiting.append($0) } }
        holder = .round
        defer { release() }
        return await body()
    }

    /// Runs an action now, or returns nil (without running it) while a round or another action runs.
    func action<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        guard holder == nil else { return nil }
        holder = .action(name)
        defer { release() }
        return try await body()
    }

    private func release() {
        holder = nil
        let woken = waiting
        waiting = []
        for waiter in woken { waiter.resume() }
    }
}
