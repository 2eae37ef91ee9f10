#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

/// A job's subtasks by execution state, as `GET /jobs/overview` reports them (Flink's
/// `ExecutionState` names in lower case, plus `total`).
///
/// The health gate reads these instead of the vertices of `GET /jobs/<id>`: the overview is
/// answered from the Dispatcher each time, while `/jobs/<id>` comes from the execution graph
/// cache, refreshed only every `web.refresh-interval` (3 s by default).
public struct TaskCounts: Sendable, Equatable {
    public var byState: [String: Int]

    public init(_ byState: [String: Int]) { self.byState = byState }

    public var total: Int { byState["total"] ?? byState.filter { $0.key != "total" }.values.reduce(0, +) }
    public var running: Int { byState["running"] ?? 0 }
    public var finished: Int { byState["finished"] ?? 0 }

    /// Every subtask runs or has finished, and at least one runs. This is the per-subtask form of
    /// the vertex check: Flink calls a vertex RUNNING while any subtask runs and none is behind
    /// (created, scheduled, deploying, initializing) or failing. A finished subtask is normal: a
    /// source reader that gets no split (more subtasks than splits) finishes at once, so
    /// "running == total" would never hold for such a job.
    public var allUp: Bool { total > 0 && running > 0 && running + finished == total }

    /// `3 of 4 tasks running (1 deploying)`, for a health message.
    public var summary: String {
        let others = byState.filter { $0.key != "total" && $0.key != "running" && $0.key != "finished" && $0.value > 0 }
            .sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        let finishedNote = finished > 0 ? ", \(finished) finished" : ""
        return "\(running) of \(total) tasks running\(finishedNote)" + (others.isEmpty ? "" : " (\(others.joined(separator: ", ")))")
    }
}

/// A completed checkpoint the health gate found, and where it was seen.
public struct CompletedCheckpoint: Sendable, Equatable {
    public var id: Int64
    public var source: String

    public init(id: Int64, source: String) {
        self.id = id
        self.source = source
    }
}

extension JobLifecycle {
    /// The newest checkpoint of `jobID` completed at or after `since` (milliseconds since the
    /// epoch), read from the freshest source Flink offers:
    /// - a checkpoint directory on this host's disk that the host allows: Flink writes
    ///   `<dir>/<job id>/chk-N/_metadata` when checkpoint N completes, so the file is Flink's own
    ///   record, seen the moment it exists;
    /// - else `GET /jobs/<id>/checkpoints`, which Flink serves from a cache kept for
    ///   `rest.cache.checkpoint-statistics.timeout` (by default `web.refresh-interval`, 3 s): there is
    ///   no uncached REST source of checkpoint statistics, so on a remote checkpoint store the gate
    ///   sees a checkpoint up to that long after it completed (docs/sync.md).
    public func checkpointCompleted(of jobID: String, since: Int64, spec: JobSpec) async throws -> CompletedCheckpoint? {
        if let directory = await localCheckpointDirectory(spec: spec) {
            let jobDirectory = directory.appendingPathComponent(jobID)
            let complete = StateLocator.entries(jobDirectory).compactMap { name -> Int64? in
                guard name.hasPrefix("chk-"), let number = Int64(name.dropFirst(4)),
                      let time = StateLocator.metadataTime(jobDirectory.appendingPathComponent(name)), time >= since else { return nil }
                return number
            }
            if let newest = complete.max() { return CompletedCheckpoint(id: newest, source: "chk-\(newest)/_metadata") }
            // Nothing on disk yet. The REST answer is read too: a job may write its checkpoints
            // elsewhere than the directory Sluice knows of (set in the job's own code).
        }
        guard let checkpoint = try await client.checkpoints(jobID)?.latestCompleted, checkpoint.triggerTimestamp >= since else { return nil }
        return CompletedCheckpoint(id: checkpoint.id, source: "checkpoint statistics")
    }

    /// The job's checkpoint directory (the spec's, else the cluster's) when it is on this host's
    /// disk under a root the host allows; `nil` otherwise.
    func localCheckpointDirectory(spec: JobSpec) async -> URL? {
        let keys = ["execution.checkpointing.dir", "state.checkpoints.dir"]
        var configured = keys.lazy.compactMap { spec.flinkConfiguration[$0] }.first
        if configured == nil, let cluster = try? await client.configuration() {
            configured = keys.lazy.compactMap { cluster[$0] }.first
        }
        guard let configured, let directory = StateLocator.localDirectory(configured),
              let allowed = try? HostPathPolicy.shared.check(directory.path, field: "execution.checkpointing.dir") else { return nil }
        return URL(fileURLWithPath: allowed)
    }
}
