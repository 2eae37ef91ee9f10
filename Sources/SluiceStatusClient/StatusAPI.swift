import Foundation

// The shapes of the status API beyond `GET /api/v1/status` itself (docs/serve.md, "Status API").
// Every type is Codable: the server encodes it, `sluice status` decodes it. A field that is not
// known is null, never a guess.

/// What `GET /api/v1/status` says about the Flink job of one object (`clusters[].objects[].job`),
/// read from the cluster (the job's state, restarts, checkpoints), the journal (savepoints) and the
/// desired spec (upgrade mode, parallelism). Null for objects that run no job.
public struct JobStatus: Codable, Sendable, Equatable {
    /// The Flink job id Sluice runs the object under, when one runs or ran.
    public var jobID: String?
    /// Flink's job state (`RUNNING`, `RESTARTING`, `FAILED`, ...), as the cluster reported it at `observedAt`.
    public var state: String?
    /// `spec.job.upgradeMode` of the desired spec (`savepoint`, `last-state`, `stateless`).
    public var upgradeMode: String?
    /// `spec.job.parallelism` of the desired spec.
    public var parallelism: Int?
    /// How often Flink restarted the running job (its `numRestarts` metric).
    public var restarts: Int?
    /// The newest completed checkpoint Flink reports for the running job.
    public var lastCheckpoint: Checkpoint?
    /// The newest savepoint of the object: taken by Sluice (the journal) or reported by Flink.
    public var lastSavepoint: Savepoint?
    /// When the cluster was read for `state`, `restarts` and `lastCheckpoint`; null when it was not read.
    public var observedAt: Date?

    public struct Checkpoint: Codable, Sendable, Equatable {
        public var id: Int64
        public var completedAt: Date
        /// Seconds from `completedAt` to the moment the document was made.
        public var ageSeconds: Double

        public init(id: Int64, completedAt: Date, ageSeconds: Double) {
            self.id = id
            self.completedAt = completedAt
            self.ageSeconds = ageSeconds
        }
    }

    public struct Savepoint: Codable, Sendable, Equatable {
        public var path: String
        /// When it completed, when known.
        public var time: Date?
        /// `journal` (Sluice took it), `flink` (the cluster's checkpoint statistics) or `operator`
        /// (the Flink Kubernetes Operator's status of the object; `time` is when it triggered the savepoint).
        public var source: String

        public init(path: String, time: Date?, source: String) {
            self.path = path
            self.time = time
            self.source = source
        }
    }

    /// Every field unknown; the server fills in what it read.
    public init() {}
}

/// `GET /api/v1/rounds`: the last rounds, newest first, for a rollout timeline.
public struct RoundsDocument: Codable, Sendable {
    public var rounds: [RoundEntry]

    public init(rounds: [RoundEntry]) { self.rounds = rounds }
}

/// One reconcile round.
public struct RoundEntry: Codable, Sendable, Equatable {
    /// Counts rounds since the service started (1 is the first).
    public var number: Int
    public var started: Date
    public var finished: Date
    /// The revision the round planned or kept running.
    public var revision: String?
    /// The forge's page of `revision`, when `--forge-url` is set.
    public var commitURL: String?
    /// Why it ran: `start`, `interval`, `webhook`, `api`, `rollback to <sha>`, ...
    public var reason: String
    /// `synced`, `unchanged`, `planned`, `failed`, `unverified`, `unresolvable`, `skipped`.
    public var outcome: String
    public var message: String
    /// The clusters the round synced, by wave then name; empty when it synced nothing.
    public var clusters: [RoundCluster]

    public init(number: Int, started: Date, finished: Date, revision: String?, commitURL: String?, reason: String, outcome: String,
                message: String, clusters: [RoundCluster]) {
        self.number = number
        self.started = started
        self.finished = finished
        self.revision = revision
        self.commitURL = commitURL
        self.reason = reason
        self.outcome = outcome
        self.message = message
        self.clusters = clusters
    }
}

/// One cluster in a round: a bar of the timeline, in the lane of its wave.
public struct RoundCluster: Codable, Sendable, Equatable {
    public var name: String
    public var wave: Int
    /// `synced`, `unchanged`, `failed`, `held`, `error` (as in the status).
    public var status: String
    /// For the timeline: `synced`, `unchanged`, `failed`, `rolled-back` (a failed health gate put
    /// the previous spec back), `held` (an earlier wave failed), `error`.
    public var outcome: String
    /// When its sync started and when it ended (healthy, or failed); null for a cluster that was
    /// not synced (held, error before any action).
    public var started: Date?
    public var finished: Date?
    public var durationSeconds: Double
    public var message: String
    /// Its journal records of this round: a `GET /api/v1/history` path with cluster, revision and time window.
    public var journal: String

    public init(name: String, wave: Int, status: String, outcome: String, started: Date?, finished: Date?, durationSeconds: Double,
                message: String, journal: String) {
        self.name = name
        self.wave = wave
        self.status = status
        self.outcome = outcome
        self.started = started
        self.finished = finished
        self.durationSeconds = durationSeconds
        self.message = message
        self.journal = journal
    }
}

/// `GET /api/v1/diff?cluster=&object=`: one object, desired (Git) against live (the cluster), as
/// the last plan read it.
public struct DiffDocument: Codable, Sendable, Equatable {
    public var cluster: String
    /// The object's identity, e.g. `FlinkDeployment.flink.apache.org analytics/orders`.
    public var object: String
    /// The planned action (`none`, `update`, `upgrade`, `rescale`, `create`, `delete`, `drift`, ...) and why.
    public var action: String
    public var reason: String
    /// For Flink jobs: the class of the whole change (`ignore`, `scale`, `upgrade`, `savepoint-redeploy`), the highest of its fields'.
    public var changeClass: String?
    /// The revision the desired object was rendered from, and the one the live object was applied from.
    public var desiredRevision: String?
    public var liveRevision: String?
    /// When the live object was read: the end of the round that planned it.
    public var plannedAt: Date?
    public var fields: [DiffField]
    /// The desired and live objects as JSON text (null when absent), for a side-by-side view.
    public var desired: String?
    public var live: String?

    public init(cluster: String, object: String, action: String, reason: String, changeClass: String?, desiredRevision: String?,
                liveRevision: String?, plannedAt: Date?, fields: [DiffField], desired: String?, live: String?) {
        self.cluster = cluster
        self.object = object
        self.action = action
        self.reason = reason
        self.changeClass = changeClass
        self.desiredRevision = desiredRevision
        self.liveRevision = liveRevision
        self.plannedAt = plannedAt
        self.fields = fields
        self.desired = desired
        self.live = live
    }
}

/// One changed field.
public struct DiffField: Codable, Sendable, Equatable {
    /// Dotted path: `spec.job.parallelism`, `spec.flinkConfiguration[state.backend.type]`.
    public var path: String
    /// The live and desired values as JSON text; null where the field is absent.
    public var live: String?
    public var desired: String?
    /// For Flink jobs, the operator's class of this field's change; null for other kinds.
    public var changeClass: String?
    /// The field manager that added the field on the cluster, when another tool did.
    public var manager: String?
    /// Set for fields Sluice leaves to others (autoscalers, ignore rules): shown, never applied.
    public var ignored: Bool

    public init(path: String, live: String?, desired: String?, changeClass: String?, manager: String?, ignored: Bool = false) {
        self.path = path
        self.live = live
        self.desired = desired
        self.changeClass = changeClass
        self.manager = manager
        self.ignored = ignored
    }
}

/// `POST /api/v1/savepoint` body.
public struct SavepointRequest: Codable, Sendable {
    public var cluster: String
    /// The job's object: its name, `namespace/name`, or the full identity.
    public var job: String
}

/// `POST /api/v1/savepoint` answer (200): the savepoint Flink completed.
public struct SavepointAnswer: Codable, Sendable {
    public var cluster: String
    public var object: String
    public var savepointPath: String?
    public var message: String

    public init(cluster: String, object: String, savepointPath: String?, message: String) {
        self.cluster = cluster
        self.object = object
        self.savepointPath = savepointPath
        self.message = message
    }
}

/// Every refusal of the API: what went wrong and what to do.
public struct APIError: Codable, Sendable, Error {
    public var error: String
    public var hint: String?

    public init(error: String, hint: String? = nil) {
        self.error = error
        self.hint = hint
    }
}
