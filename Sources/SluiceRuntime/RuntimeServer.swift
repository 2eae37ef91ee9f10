#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import SluiceCore
import SluiceFlink
import SluiceHTTPServer
import SluiceSpec

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
        let api = router.group("v1").add(middleware: BearerTokenMiddleware(full: token, refusals: Self.refusals))
        let runtime = self.runtime
        api.get("objects") { _, _ in
            JSONAnswer(try await runtime.liveState().map(RuntimeWire.LiveObjectBody.init), style: .compact)
        }
        api.post("apply") { request, context in
            let body = try await request.decode(as: RuntimeWire.ApplyRequest.self, context: context)
            do {
                let transition = try await runtime.apply(try body.change())
                return JSONAnswer(RuntimeWire.ApplyResponse(jobID: transition.jobID, savepointPath: transition.savepointPath, message: transition.message),
                                  style: .compact)
            } catch {
                throw Self.failure(error, status: .unprocessableContent)
            }
        }
        api.post("health") { request, context in
            let body = try await request.decode(as: RuntimeWire.HealthRequest.self, context: context)
            return JSONAnswer(try await runtime.health(of: body.identity), style: .compact)
        }
        api.get("processes") { _, _ in
            JSONAnswer(await runtime.supervisor.status(), style: .compact)
        }
        return router
    }

    /// Runs the API on `host:port` until the process is told to stop, recovering lost jobs every
    /// few seconds meanwhile; `onListening` gets the bound port (useful with port 0).
    public func run(host: String, port: Int, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "sluice-runtime"),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) })
        let runtimes = [runtime]
        let recovery = Task { await LostJobRecovery.run({ runtimes }) { _ in } }
        defer { recovery.cancel() }
        try await app.runService()
    }

    static let refusals = BearerTokenMiddleware<BasicRequestContext>.Refusals(
        unauthorized: #"{"message":"missing or wrong bearer token","hint":"send Authorization: Bearer <the runtime's token>"}"#)

    /// A failure answer: the error's message and hint.
    static func failure(_ error: any Error, status: HTTPResponse.Status) -> Refusal {
        let failure = (error as? any SluiceError).map { RuntimeWire.Failure(message: $0.message, hint: $0.hint) }
            ?? RuntimeWire.Failure(message: "\(error)", hint: nil)
        return .json(failure, status: status, style: .compact)
    }
}
