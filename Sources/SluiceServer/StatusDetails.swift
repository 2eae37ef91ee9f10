import Foundation
import SluiceFlink
import SluiceStatusClient
import SluiceSync

extension StatusDocument {
    /// Adds what the plan, the job readings and the journal know beyond the round's result: per
    /// object the live revision, the pending change's class and the job; per cluster the worst health.
    mutating func addDetails(plan: Plan?, reading: JobStatusBoard.Reading, forgeURL: String?, now: Date = Date()) {
        self.forgeURL = forgeURL
        let plans = Dictionary((plan?.clusters ?? []).map { ($0.cluster.name, $0) }, uniquingKeysWith: { first, _ in first })
        for index in clusters.indices {
            let name = clusters[index].name
            let actions = Dictionary((plans[name]?.actions ?? []).map { ($0.identity.description, $0) }, uniquingKeysWith: { first, _ in first })
            for objectIndex in clusters[index].objects.indices {
                let object = clusters[index].objects[objectIndex].object
                guard let action = actions[object] else { continue }
                // The plan read the cluster before the round applied: a change applied since runs the desired revision.
                let applied = action.isChange && clusters[index].objects[objectIndex].lastOperationSucceeded == true
                clusters[index].objects[objectIndex].liveRevision = applied ? action.desired?.revision : action.live?.revision
                if action.isChange { clusters[index].objects[objectIndex].changeClass = action.changeClass?.description }
                clusters[index].objects[objectIndex].job = Self.job(action, key: .init(cluster: name, object: object), reading: reading, now: now)
            }
            clusters[index].health = Self.worst(clusters[index].objects.compactMap(\.health))
        }
    }

    /// The job of one planned object, or nil when it runs none.
    static func job(_ action: PlannedAction, key: JobStatusBoard.Key, reading: JobStatusBoard.Reading, now: Date) -> JobStatus? {
        guard let spec = (action.desired?.value).flatMap(JobSpec.init) ?? (action.live?.value).flatMap(JobSpec.init) else { return nil }
        var job = JobStatus()
        job.upgradeMode = spec.upgradeMode.rawValue
        job.parallelism = spec.parallelism
        let observed = reading.observations[key]
        if let observed {
            job.jobID = observed.jobID
            job.state = observed.state
            job.restarts = observed.restarts
            job.observedAt = observed.observedAt
            job.lastCheckpoint = observed.lastCheckpoint.map {
                .init(id: $0.id, completedAt: $0.completedAt, ageSeconds: max(0, now.timeIntervalSince($0.completedAt)))
            }
        }
        // The newer of what Sluice took (journal) and what Flink reports; the journal's when equal or undated.
        let journalled = reading.savepoints[key]
        let reported = observed?.lastSavepoint.map { JobStatus.Savepoint(path: $0.path, time: $0.completedAt, source: $0.source ?? "flink") }
        switch (journalled, reported) {
        case let (taken?, seen?):
            job.lastSavepoint = taken.path == seen.path || (seen.time ?? .distantPast) <= (taken.time ?? .distantFuture) ? taken : seen
        default:
            job.lastSavepoint = journalled ?? reported
        }
        return job
    }

    /// Health statuses from worst to best, for a cluster's summary.
    static let healthOrder = ["degraded", "missing", "progressing", "unknown", "suspended", "healthy"]

    static func worst(_ statuses: [String]) -> String? {
        statuses.min { (healthOrder.firstIndex(of: $0) ?? 0) < (healthOrder.firstIndex(of: $1) ?? 0) }
    }
}
