#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

extension JobLifecycle {
    /// Where Sluice looked for a job's state, and the newest complete restore point it found.
    public struct StateSearch: Sendable {
        public var newest: RestorePoint?
        /// Every place searched, for the message when nothing was found.
        public var searched: [String]
    }

    /// Finds the newest complete checkpoint or savepoint of `owner`'s jobs, from every source in turn:
    /// 1. the jobs the cluster still knows (their latest externally addressable checkpoint or savepoint);
    /// 2. stop-with-savepoint and savepoint triggers the journal announced without an outcome
    ///    (a crash in between): the trigger's status while Flink knows it, else the savepoint
    ///    directory, for savepoints of that job written after the intent;
    /// 3. retained checkpoints of the owner's jobs in the checkpoint directory (the spec's, else the cluster's);
    /// 4. the newest savepoint the journal or the applied store recorded.
    /// Directories are searched only on a local file system (`file:`); remote ones are trusted to Flink.
    /// A spec names these directories, so a local one is searched only under the host's allowed
    /// roots (`HostPathPolicy`): a commit must not make Sluice look into other folders of the host.
    public func locateState(of owner: JobOwner, spec: JobSpec, recorded: String?) async -> StateSearch {
        var found: [RestorePoint] = []
        var searched: [String] = []
        let clusterConfiguration = (try? await client.configuration()) ?? [:]
        func setting(_ keys: [String]) -> String? {
            keys.lazy.compactMap { spec.flinkConfiguration[$0] ?? clusterConfiguration[$0] }.first
        }
        let savepointDirectory = setting(["execution.checkpointing.savepoint-dir", "state.savepoints.dir"])
        let checkpointDirectory = setting(["execution.checkpointing.dir", "state.checkpoints.dir"])

        searched.append("the jobs \(cluster) still knows")
        for job in (try? await jobs(of: owner).prefix(3)) ?? [] {
            if let point = try? await latestRestorePoint(of: job.id) { found.append(point) }
        }

        let records = (try? journal.records(cluster: cluster, object: owner.object)) ?? []
        let finishedTriggers = Set(records.filter { $0.phase == .outcome }.compactMap(\.triggerID))
        let openTriggers = records.filter {
            $0.phase == .intent && [.stopWithSavepoint, .savepoint].contains($0.step) && $0.triggerID.map { !finishedTriggers.contains($0) } ?? false
        }.suffix(5)
        for intent in openTriggers {
            guard let jobID = intent.jobID, let trigger = intent.triggerID else { continue }
            searched.append("trigger \(trigger) of job \(jobID)")
            if case .completed(let location)? = try? await client.savepointStatus(jobID, triggerID: trigger), StateLocator.isUsable(location) {
                found.append(RestorePoint(path: location, timestamp: Int64(Date().timeIntervalSince1970 * 1000), source: "trigger \(trigger)"))
                continue
            }
            if let savepointDirectory, searchable(savepointDirectory, &searched) {
                searched.append("savepoint directory \(savepointDirectory)")
                // A second of slack for clocks that round the file time down.
                found += StateLocator.savepoints(in: savepointDirectory, of: jobID, since: Int64(intent.time.timeIntervalSince1970 * 1000) - 1000)
            }
        }

        if let checkpointDirectory, searchable(checkpointDirectory, &searched) {
            searched.append("checkpoint directory \(checkpointDirectory)")
            found += StateLocator.retainedCheckpoints(in: checkpointDirectory, owns: owner.owns)
        }

        searched.append("the journal")
        let journaled = records.last { $0.phase == .outcome && $0.succeeded == true && $0.savepointPath != nil }
        if let point = StateLocator.recorded(journaled?.savepointPath, fallback: journaled.map { Int64($0.time.timeIntervalSince1970 * 1000) } ?? 0,
                                             source: "journal") {
            found.append(point)
        }
        if let point = StateLocator.recorded(recorded, fallback: 0, source: "applied store") { found.append(point) }

        return StateSearch(newest: found.max { $0.timestamp < $1.timestamp }, searched: searched)
    }

    /// Whether Sluice may look into `directory`: a remote one (nothing is read), or a local one
    /// under the allowed roots. A refused one is named in what was searched, with why.
    func searchable(_ directory: String, _ searched: inout [String]) -> Bool {
        guard StateLocator.localDirectory(directory) != nil else { return true }
        do {
            try HostPathPolicy.shared.check(directory, field: "the state directory", extraRoots: trustedRoots)
            return true
        } catch {
            searched.append("\(error.message), so it was not searched")
            return false
        }
    }

    /// The newest complete, externally addressable checkpoint or savepoint of a job the cluster knows.
    public func latestRestorePoint(of jobID: String) async throws -> RestorePoint? {
        guard let statistics = try await client.checkpoints(jobID) else { return nil }
        let candidates = [statistics.latestCompleted, statistics.latestSavepoint].compactMap { $0 }
            .filter { StateLocator.isAddressable($0.externalPath) }
        for point in candidates.sorted(by: { $0.triggerTimestamp > $1.triggerTimestamp }) {
            guard let path = point.externalPath else { continue }
            // Flink drops a checkpoint once a newer one completes, and its statistics lag: take
            // the newest checkpoint still complete on disk beside the one it reports.
            if !point.isSavepoint, StateLocator.localDirectory(path) != nil {
                if let retained = StateLocator.newestRetainedCheckpoint(near: path) { return retained }
                continue
            }
            if StateLocator.isUsable(path) {
                return RestorePoint(path: path, timestamp: point.triggerTimestamp,
                                    source: point.isSavepoint ? "savepoint of job \(jobID)" : "checkpoint of job \(jobID)")
            }
        }
        return nil
    }
}
