#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceHTTP

/// A client of the Flink REST API (Flink 1.19 to 2.x) of one session cluster or JobManager.
///
/// Every call is one request; waiting (for a savepoint, for a job to reach a state) is done by
/// the callers with bounded polling, so a slow cluster never hangs Sluice.
public struct FlinkClient: Sendable {
    /// The REST endpoint, e.g. `http://127.0.0.1:8081`.
    public let baseURL: URL
    private let http: any HTTPTransport

    public init(baseURL: URL, http: HTTPClient) {
        self.baseURL = baseURL
        self.http = http
    }

    /// A client whose requests travel through `transport` (e.g. the Kubernetes API server's service
    /// proxy to a JobManager's REST service); `baseURL` is where the transport expects them.
    public init(baseURL: URL, transport: any HTTPTransport) {
        self.baseURL = baseURL
        self.http = transport
    }

    // MARK: Cluster

    /// `GET /overview`.
    public func overview() async throws -> ClusterOverview {
        try await get("overview", as: ClusterOverview.self)
    }

    /// `GET /jobmanager/config`: the cluster's configuration (the defaults a job inherits).
    public func configuration() async throws -> [String: String] {
        let entries = try await get("jobmanager/config", as: [ConfigurationEntry].self)
        return Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    // MARK: Jars

    /// Uploads a jar under `name` (the file name Flink shows) and returns its id.
    public func uploadJar(_ file: URL, name: String) async throws -> String {
        let part = MultipartPart(name: "jarfile", filename: name, contentType: "application/x-java-archive", content: .file(file))
        var request = HTTPRequest(.POST, url("jars/upload"), body: .multipart([part]))
        // Re-uploading the same bytes is harmless, so a lost response may be retried.
        request.isIdempotent = true
        let response = try await http.send(request).requireSuccess().decode(JarUploadResponse.self)
        guard response.status == "success", let id = response.filename.split(separator: "/").last else {
            throw FlinkError("uploading \(name) to \(baseURL) did not succeed (status \(response.status))")
        }
        return String(id)
    }

    /// `GET /jars`.
    public func jars() async throws -> [UploadedJar] {
        try await get("jars", as: JarList.self).files
    }

    /// `POST /jars/<id>/run`; returns the job id, which is the one in `request`.
    ///
    /// Not retried after the request may have reached Flink: a second run with the same job id
    /// is refused by Flink 2.x, so callers recover by looking the job id up instead.
    public func run(jar: String, _ request: JarRunRequest) async throws -> String {
        let body = try JSONEncoder().encode(request)
        let response = try await http.send(HTTPRequest(.POST, url("jars/\(jar)/run"), body: .json(body)))
            .requireSuccess().decode(JarRunResponse.self)
        return response.jobID
    }

    // MARK: Jobs

    /// `GET /jobs/overview`: every job the cluster remembers, running or finished.
    public func jobs() async throws -> [JobSummary] {
        try await get("jobs/overview", as: JobsOverview.self).jobs
    }

    /// `GET /jobs/<id>`; `nil` when the cluster does not know the job.
    public func job(_ id: String) async throws -> JobDetails? {
        try await getIfPresent("jobs/\(id)", as: JobDetails.self)
    }

    /// `GET /jobs/<id>/checkpoints`; `nil` when the cluster does not know the job.
    public func checkpoints(_ id: String) async throws -> CheckpointStatistics? {
        try await getIfPresent("jobs/\(id)/checkpoints", as: CheckpointStatistics.self)
    }

    /// One job-level metric (`GET /jobs/<id>/metrics?get=<name>`) as Flink reports it; `nil` when
    /// the job or the metric is unknown (a metric is registered only once the job runs).
    public func jobMetric(_ id: String, _ name: String) async throws -> String? {
        struct Metric: Decodable { var id: String; var value: String? }
        let metrics = try await getIfPresent("jobs/\(id)/metrics", query: "get=\(name)", as: [Metric].self)
        return metrics?.first { $0.id == name }?.value
    }

    /// Cancels a job (`PATCH /jobs/<id>?mode=cancel`); cancelling a finished job is not an error.
    public func cancel(_ id: String) async throws {
        var request = HTTPRequest(.PATCH, url("jobs/\(id)", query: "mode=cancel"))
        request.isIdempotent = true
        let response = try await http.send(request)
        // 404: unknown job; 409/500 with a terminal state: already done. Both mean "not running".
        if (200..<300).contains(response.status) || response.status == 404 { return }
        if let job = try await job(id), job.state.isTerminal { return }
        _ = try response.requireSuccess()
    }

    // MARK: Rescaling

    /// The job's per-vertex parallelism bounds (`GET /jobs/<id>/resource-requirements`). Only the
    /// adaptive scheduler serves them; any other answers with an error, which is how a caller tells.
    public func resourceRequirements(_ jobID: String) async throws -> [String: VertexParallelism] {
        try await get("jobs/\(jobID)/resource-requirements", as: [String: VertexResourceRequirements].self).mapValues(\.parallelism)
    }

    /// Sets the job's per-vertex parallelism bounds; the adaptive scheduler rescales the running job
    /// in place, restoring its own latest checkpoint (`PUT /jobs/<id>/resource-requirements`).
    public func setResourceRequirements(_ jobID: String, _ requirements: [String: VertexParallelism]) async throws {
        let body = try JSONEncoder().encode(requirements.mapValues(VertexResourceRequirements.init(parallelism:)))
        var request = HTTPRequest(.PUT, url("jobs/\(jobID)/resource-requirements"), body: .json(body))
        request.isIdempotent = true
        _ = try await http.send(request).requireSuccess()
    }

    // MARK: Savepoints

    /// Triggers a savepoint with a caller-chosen trigger id, so a retried trigger is the same operation.
    public func triggerSavepoint(_ jobID: String, targetDirectory: String?, triggerID: String) async throws {
        var body: [String: AnyEncodable] = ["cancel-job": .init(false), "triggerId": .init(triggerID)]
        if let targetDirectory { body["target-directory"] = .init(targetDirectory) }
        try await trigger("jobs/\(jobID)/savepoints", body: body)
    }

    /// Stops a job with a savepoint (`POST /jobs/<id>/stop`) under a caller-chosen trigger id.
    public func stopWithSavepoint(_ jobID: String, targetDirectory: String?, drain: Bool = false, triggerID: String) async throws {
        var body: [String: AnyEncodable] = ["drain": .init(drain), "triggerId": .init(triggerID)]
        if let targetDirectory { body["targetDirectory"] = .init(targetDirectory) }
        try await trigger("jobs/\(jobID)/stop", body: body)
    }

    /// The status of a savepoint or stop operation (`GET /jobs/<id>/savepoints/<trigger id>`);
    /// `nil` when the cluster does not know the trigger id.
    public func savepointStatus(_ jobID: String, triggerID: String) async throws -> SavepointStatus? {
        guard let response = try await getIfPresent("jobs/\(jobID)/savepoints/\(triggerID)", as: AsyncOperationResponse.self) else {
            return nil
        }
        guard response.status.id == "COMPLETED" else { return .inProgress }
        if let location = response.operation?.location { return .completed(location: location) }
        let cause = response.operation?.failureCause?.stackTrace.map(Self.firstLine) ?? "no reason given"
        return .failed(reason: cause)
    }

    // MARK: Plumbing

    private func url(_ path: String, query: String? = nil) -> URL {
        var text = baseURL.absoluteString
        if !text.hasSuffix("/") { text += "/" }
        text += path
        if let query { text += "?\(query)" }
        return URL(string: text)!
    }

    private func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await http.send(HTTPRequest(.GET, url(path))).requireSuccess().decode(type)
    }

    func getIfPresent<T: Decodable>(_ path: String, query: String? = nil, as type: T.Type) async throws -> T? {
        let response = try await http.send(HTTPRequest(.GET, url(path, query: query)))
        if response.status == 404 { return nil }
        return try response.requireSuccess().decode(type)
    }

    private func trigger(_ path: String, body: [String: AnyEncodable]) async throws {
        var request = HTTPRequest(.POST, url(path), body: .json(try JSONEncoder().encode(body)))
        // The trigger id makes the operation idempotent: Flink answers a repeat with the same operation.
        request.isIdempotent = true
        _ = try await http.send(request).requireSuccess().decode(TriggerResponse.self)
    }

    /// The exception line of a Java stack trace, which is what a person needs to read.
    static func firstLine(_ trace: String) -> String {
        let lines = trace.split(separator: "\n").map { $0.trimmingWhitespace() }
        // The root cause is the last "Caused by:" line; fall back to the first line.
        if let cause = lines.last(where: { $0.hasPrefix("Caused by:") }) { return String(cause.dropFirst("Caused by: ".count)) }
        return lines.first ?? trace
    }
}

/// A JSON value of mixed type in a request body.
struct AnyEncodable: Encodable, Sendable {
    private let encodeValue: @Sendable (any Encoder) throws -> Void

    init<T: Encodable & Sendable>(_ value: T) {
        encodeValue = { encoder in
            var container = encoder.singleValueContainer()
            try container.encode(value)
        }
    }

    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
