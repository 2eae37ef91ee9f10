import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceRuntime
import SluiceSpec

/// The `runtime` driver for an `embedded` runtime: Flink processes supervised by this Sluice
/// process, on this host.
public struct EmbeddedRuntimeDriver: ClusterDriver {
    public let cluster: ClusterSpec
    public let runtime: FlinkRuntime
    /// Whether this driver made the runtime (a one-shot command) rather than borrowing a service's.
    public let ownsRuntime: Bool

    public init(cluster: ClusterSpec, runtime: FlinkRuntime, ownsRuntime: Bool) {
        self.cluster = cluster
        self.runtime = runtime
        self.ownsRuntime = ownsRuntime
    }

    /// A one-shot command leaves the processes running for the next Sluice to adopt.
    public func close() async {
        if ownsRuntime { await runtime.supervisor.shutdown(leaveRunning: true) }
    }

    public func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        try await runtime.liveState()
    }

    public func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        guard let change = action.jobChange else { return .nothingToDo(action.kind) }
        return ActionOutcome(try await runtime.apply(change))
    }

    public func health(of identity: ObjectIdentity) async throws -> Health {
        try await runtime.health(of: identity)
    }

    /// In the runtime's own state directory, which every Sluice process using it shares.
    public var lockFile: URL? { runtime.lockFile }
}

/// The `runtime` driver for a runtime on another host, over its HTTP API (`sluice runtime serve`).
public struct RemoteRuntimeDriver: ClusterDriver {
    public let cluster: ClusterSpec
    private let baseURL: URL
    private let http: HTTPClient

    public init(cluster: ClusterSpec, baseURL: URL, http: HTTPClient) {
        self.cluster = cluster
        self.baseURL = baseURL
        self.http = http
    }

    public func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        let response = try await http.send(HTTPRequest(.GET, url("v1/objects")))
        return try check(response).decode([RuntimeWire.LiveObjectBody].self).map { try $0.liveObject() }
    }

    public func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        guard let change = action.jobChange else { return .nothingToDo(action.kind) }
        let body = RuntimeWire.ApplyRequest(change)
        let response = try await http.send(HTTPRequest(.POST, url("v1/apply"), body: .json(try JSONEncoder().encode(body))))
        let result = try check(response).decode(RuntimeWire.ApplyResponse.self)
        return ActionOutcome(.applied, result.message, savepointPath: result.savepointPath)
    }

    public func health(of identity: ObjectIdentity) async throws -> Health {
        var request = HTTPRequest(.POST, url("v1/health"), body: .json(try JSONEncoder().encode(RuntimeWire.HealthRequest(identity: identity))))
        request.isIdempotent = true
        return try check(try await http.send(request)).decode(Health.self)
    }

    private func url(_ path: String) -> URL { baseURL.appendingPathComponent(path) }

    /// Turns the runtime's failure answers into errors that say what it said.
    private func check(_ response: HTTPResponse) throws -> HTTPResponse {
        if (200..<300).contains(response.status) { return response }
        if let failure = try? JSONDecoder().decode(RuntimeWire.Failure.self, from: response.body) {
            throw DriverError(cluster: cluster.name, "runtime at \(baseURL.absoluteString) answered \(response.status): \(failure.message)", hint: failure.hint)
        }
        return try response.requireSuccess()
    }
}
