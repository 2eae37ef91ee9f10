import SluiceCore

/// Rescaling a running job without a savepoint round trip, as the operator's
/// `NativeFlinkService.scale` does it: Flink's adaptive scheduler (Flink 1.18+) takes new per-vertex
/// parallelism bounds through `PUT /jobs/<id>/resource-requirements` and rescales the job in place.
/// The job id stays, and Flink restores the job's keyed state from its own latest checkpoint.
extension JobLifecycle {
    /// Whether the running job can reach a spec by an in-place rescale.
    public enum InPlaceRescale: Sendable, Equatable {
        /// The per-vertex bounds to set.
        case possible([String: VertexParallelism])
        /// Why not: the change falls back to the upgrade path.
        case impossible(String)
    }

    /// The flinkConfiguration key that sets per-vertex parallelism (`vertexId:parallelism,…`).
    public static let parallelismOverridesKey = "pipeline.jobvertex-parallelism-overrides"

    /// Decides how `current` moves from `previous` to `spec` in place. Follows the operator: each
    /// vertex with an override gets it as its upper bound, the lower bound drops only when the new
    /// upper bound is below it (raising it could fail the job when slots are short), and a removed
    /// override means a regular upgrade. A new `spec.job.parallelism` (a scale in standalone mode)
    /// becomes the upper bound of every vertex without an override.
    public func inPlaceRescale(of current: JobSummary, to spec: JobSpec, from previous: JobSpec?) async -> InPlaceRescale {
        guard current.state == .running else {
            return .impossible("job \(current.id) is \(current.state.rawValue), not RUNNING")
        }
        let overrides: [String: Int]
        let previousOverrides: [String: Int]
        do {
            overrides = try Self.parallelismOverrides(spec.flinkConfiguration[Self.parallelismOverridesKey])
            previousOverrides = try Self.parallelismOverrides(previous?.flinkConfiguration[Self.parallelismOverridesKey])
        } catch {
            return .impossible("\(error)")
        }
        let requirements: [String: VertexParallelism]
        do {
            requirements = try await client.resourceRequirements(current.id)
        } catch {
            return .impossible("Flink did not serve the job's resource requirements, which only the adaptive scheduler does (jobmanager.scheduler: adaptive)")
        }
        if let unknown = overrides.keys.sorted().first(where: { requirements[$0] == nil }) {
            return .impossible("\(Self.parallelismOverridesKey) names vertex \(unknown), which the running job does not have")
        }
        let newParallelism = spec.parallelism != previous?.parallelism ? spec.parallelism : nil
        var targets = requirements
        for (vertex, bounds) in requirements {
            let upper: Int
            if let override = overrides[vertex] {
                upper = override
            } else if previousOverrides[vertex] != nil {
                return .impossible("the parallelism override of vertex \(vertex) was removed")
            } else if let newParallelism {
                upper = newParallelism
            } else {
                continue
            }
            targets[vertex] = VertexParallelism(lowerBound: min(upper, bounds.lowerBound), upperBound: upper)
        }
        return .possible(targets)
    }

    /// Sets `targets` on the running job and waits (bounded by the operation timeout) until every
    /// vertex runs at its upper bound.
    public func rescaleInPlace(_ current: JobSummary, to targets: [String: VertexParallelism], _ context: Context) async throws -> Transition {
        let before = try await client.job(current.id)
        let changes = (before?.vertices ?? []).compactMap { vertex -> String? in
            guard let target = targets[vertex.id], target.upperBound != vertex.parallelism else { return nil }
            return "\(vertex.name) \(vertex.parallelism)→\(target.upperBound)"
        }
        guard !changes.isEmpty else {
            return Transition(jobID: current.id, savepointPath: nil, message: "already runs at the requested parallelism")
        }
        try record(.rescale, .intent, context, jobID: current.id)
        let started = ContinuousClock.now
        do {
            try await client.setResourceRequirements(current.id, targets)
            try await awaitParallelism(current.id, targets)
        } catch {
            try? record(.rescale, .outcome, context, jobID: current.id, succeeded: false, since: started, message: "\(error)")
            throw error
        }
        try record(.rescale, .outcome, context, jobID: current.id, succeeded: true, since: started)
        return Transition(jobID: current.id, savepointPath: nil,
                          message: "rescaled in place (\(changes.joined(separator: ", "))); job \(current.id) kept running")
    }

    /// Waits until the job runs and each vertex has its target's upper bound as parallelism.
    func awaitParallelism(_ jobID: String, _ targets: [String: VertexParallelism]) async throws {
        let deadline = ContinuousClock.now + operationTimeout
        var last = "not seen yet"
        while ContinuousClock.now < deadline {
            if let job = try await client.job(jobID) {
                if job.state.isTerminal { throw FlinkError("job \(jobID) ended (\(job.state.rawValue)) while rescaling in place") }
                let reached = job.vertices.allSatisfy { vertex in targets[vertex.id].map { vertex.parallelism == $0.upperBound } ?? true }
                if job.state == .running, reached { return }
                last = job.vertices.map { "\($0.name) at \($0.parallelism)" }.joined(separator: ", ")
            }
            try await Task.sleep(for: pollInterval)
        }
        throw FlinkError("job \(jobID) did not reach the requested parallelism within \(operationTimeout) (\(last))",
                         hint: "the adaptive scheduler runs a job at the parallelism its free slots allow; add TaskManager slots or lower the parallelism")
    }

    /// `vertexId:parallelism,…` as Flink's `PipelineOptions.PARALLELISM_OVERRIDES` writes it.
    static func parallelismOverrides(_ text: String?) throws -> [String: Int] {
        guard let text, !text.trimmingWhitespace().isEmpty else { return [:] }
        var out: [String: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard parts.count == 2, !parts[0].isEmpty, let parallelism = Int(parts[1]), parallelism > 0 else {
                throw FlinkError("\(parallelismOverridesKey) has \"\(pair)\"; expected vertexId:parallelism with a positive parallelism")
            }
            out[parts[0]] = parallelism
        }
        return out
    }
}
