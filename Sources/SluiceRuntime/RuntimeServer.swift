import Foundation
import Hummingbird
import NIOCore
import SluiceCore
import SluiceFlink
import SluiceSpec
import SluiceYAML

/// Serves a `FlinkRuntime` over HTTP for a Sluice on another host (`sluice runtime serve`).
/// Every route but `/healthz` needs `Authorization: Bearer <token>`.
public struct RuntimeServer: Sendable {
    public let runtime: FlinkRuntime
    private let token: String

    public init(runtime: FlinkRuntime, token: String) {
        self.runtime = runtime
        self.token = token
    }

    /// The routes, for `Application` (and tests).
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        let api = router.group("v1").add(middleware: BearerTokenMiddleware(token: token))
        let runtime = self.runtime
        api.get("objects") { _, _ -> Response in
            try Self.json(await runtime.liveState().map(RuntimeWire.LiveObjectBody.init))
        }
        api.post("apply") { request, context -> Response in
            let body = try await request.decode(as: RuntimeWire.ApplyRequest.self, context: context)
            do {
                let transition = try await runtime.apply(try body.change())
                return try Self.json(RuntimeWire.ApplyResponse(jobID: transition.jobID, savepointPath: transition.savepointPath, message: transition.message))
            } catch {
                return try Self.failure(error, status: .unprocessableContent)
            }
        }
        api.post("health") { request, context -> Response in
            let body = try await request.decode(as: RuntimeWire.HealthRequest.self, context: context)
            return try Self.json(await runtime.health(of: body.identity))
        }
        api.get("processes") { _, _ -> Response in
            try Self.json(await runtime.supervisor.status())
        }
        return router
    }

    /// Runs the API on `host:port` until the process is told to stop, recovering lost jobs every
    /// few seconds meanwhile; `onListening` gets the bound port (useful with port 0).
    public func run(host: String, port: Int, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "sluice-runtime"),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) })
        let runtime = self.runtime
        let recovery = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                await runtime.recoverLostJobs()
            }
        }
        defer { recovery.cancel() }
        try await app.runService()
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func failure(_ error: any Error, status: HTTPResponse.Status) throws -> Response {
        let failure = (error as? any SluiceError).map { RuntimeWire.Failure(message: $0.message, hint: $0.hint) }
            ?? RuntimeWire.Failure(message: "\(error)", hint: nil)
        return try json(failure, status: status)
    }
}

/// Checks `Authorization: Bearer <token>` in constant time; answers 401 otherwise.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              ConstantTime.equal(Array(header.dropFirst("Bearer ".count).utf8), token)
        else {
            let body = ByteBuffer(string: #"{"message":"missing or wrong bearer token","hint":"send Authorization: Bearer <the runtime's token>"}"#)
            return Response(status: .unauthorized, headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"], body: .init(byteBuffer: body))
        }
        return try await next(request, context)
    }
}
