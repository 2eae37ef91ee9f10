import Foundation

/// A small client for the Flink REST API of a test cluster, using the `curl` command line
/// (URLSession needs FoundationNetworking on Linux, which is not reliably there).
public struct FlinkREST: Sendable {
    /// The REST endpoint, e.g. `http://127.0.0.1:8081`.
    public let baseURL: URL

    public init(baseURL: URL) { self.baseURL = baseURL }

    /// An HTTP answer: status code and parsed JSON body (nil when the body is not JSON).
    public struct Response: @unchecked Sendable {
        public var status: Int
        public var body: String
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    /// `GET path`.
    public func get(_ path: String, timeout: TimeInterval = 15) throws -> Response {
        try curl(path, [], timeout: timeout)
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json: [String: Any], timeout: TimeInterval = 30) throws -> Response {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        return try curl(path, ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body], timeout: timeout)
    }

    /// `DELETE path`.
    public func delete(_ path: String, timeout: TimeInterval = 15) throws -> Response {
        try curl(path, ["-X", "DELETE"], timeout: timeout)
    }

    /// Uploads a job jar (`POST /jars/upload`) and returns its jar id for `/jars/<id>/run`.
    public func uploadJar(_ jar: URL) throws -> String {
        let response = try curl("/jars/upload", ["-X", "POST", "-F", "jarfile=@\(jar.path)"], timeout: 60)
        guard response.status == 200, let filename = response.json?["filename"] as? String else {
            throw FlinkTestError("uploading \(jar.lastPathComponent) to \(baseURL) answered \(response.status): \(response.body)")
        }
        return URL(fileURLWithPath: filename).lastPathComponent
    }

    /// Runs an uploaded jar as job `jobID` (a fresh id per submission: Flink refuses ids it has seen),
    /// optionally restoring `savepointPath` without claiming it.
    public func runJar(
        _ jarID: String, jobID: String, parallelism: Int? = nil, savepointPath: String? = nil,
        arguments: [String] = []
    ) throws {
        var body: [String: Any] = ["jobId": jobID, "programArgsList": arguments]
        if let parallelism { body["parallelism"] = parallelism }
        if let savepointPath {
            body["savepointPath"] = savepointPath
            body["claimMode"] = "NO_CLAIM"
        }
        let response = try post("/jars/\(jarID)/run", json: body, timeout: 120)
        guard response.status == 200 else {
            throw FlinkTestError("running jar \(jarID) as job \(jobID) answered \(response.status): \(response.body)")
        }
    }

    /// The state of job `jobID` (`RUNNING`, `FINISHED`, ...), or nil when the cluster does not know it.
    public func jobState(_ jobID: String) throws -> String? {
        let response = try get("/jobs/\(jobID)")
        guard response.status == 200 else { return nil }
        return response.json?["state"] as? String
    }

    /// Waits (bounded) until job `jobID` is in one of `states` and returns that state; fails early
    /// when it reaches FAILED unless that is awaited.
    @discardableResult
    public func waitForJob(_ jobID: String, in states: Set<String>, timeout: TimeInterval = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last: String?
        while Date() < deadline {
            last = try jobState(jobID)
            if let last, states.contains(last) { return last }
            if last == "FAILED" { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let exceptions = (try? get("/jobs/\(jobID)/exceptions").body.prefix(2000)) ?? ""
        throw FlinkTestError("job \(jobID) on \(baseURL) is \(last ?? "unknown"), not \(states.sorted()) after \(Int(timeout)) s; exceptions: \(exceptions)")
    }

    /// Stops job `jobID` with a savepoint into `targetDirectory` (no drain), waits for the savepoint
    /// and returns its location (`file:/...`).
    public func stopWithSavepoint(_ jobID: String, targetDirectory: URL, timeout: TimeInterval = 60) async throws -> String {
        let triggerID = Self.newID()
        let response = try post("/jobs/\(jobID)/stop", json: [
            "targetDirectory": targetDirectory.absoluteString, "drain": false, "triggerId": triggerID,
        ])
        guard response.status == 202 || response.status == 200 else {
            throw FlinkTestError("stop-with-savepoint of job \(jobID) answered \(response.status): \(response.body)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            let poll = try get("/jobs/\(jobID)/savepoints/\(triggerID)")
            last = poll.body
            let status = (poll.json?["status"] as? [String: Any])?["id"] as? String
            if status == "COMPLETED" {
                let operation = poll.json?["operation"] as? [String: Any]
                if let location = operation?["location"] as? String { return location }
                throw FlinkTestError("stop-with-savepoint of job \(jobID) failed: \(poll.body.prefix(2000))")
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        throw FlinkTestError("stop-with-savepoint of job \(jobID) did not complete within \(Int(timeout)) s: \(last.prefix(2000))")
    }

    /// A fresh 32-hex-digit id, as Flink wants for job and trigger ids.
    public static func newID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    private func curl(_ path: String, _ arguments: [String], timeout: TimeInterval) throws -> Response {
        let url = baseURL.absoluteString + path
        let result = try run("/usr/bin/env", ["curl", "-sS", "--max-time", String(Int(timeout)), "-w", "\n%{http_code}"]
                                + arguments + [url], timeout: timeout + 5)
        guard result.status == 0 else {
            throw FlinkTestError("curl \(url) exited \(result.status): \(result.stderr)")
        }
        var body = result.stdout
        let statusLine = body.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        body.removeLast(min(body.count, statusLine.count + 1))
        return Response(status: Int(statusLine) ?? 0, body: body)
    }
}
