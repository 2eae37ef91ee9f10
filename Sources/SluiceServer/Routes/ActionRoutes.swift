import Hummingbird
import SluiceCore
import SluiceHTTPServer

/// `POST sync` and `rollback` of the status API (mounted under `/api/v1`, operator token only).
struct ActionRoutes {
    let loop: ReconcileLoop

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("sync", use: sync)
        routes.post("rollback", use: rollback)
        return routes
    }

    @Sendable func sync(_ request: Request, context: BasicRequestContext) async -> JSONAnswer<[String: String]> {
        await loop.trigger(.api)
        return JSONAnswer(["accepted": "a sync round is queued"], status: .accepted, style: .pretty)
    }

    /// Pins a revision (`{"revision": "..."}`) or, without one, follows the branch again.
    @Sendable func rollback(_ request: Request, context: BasicRequestContext) async throws -> JSONAnswer<[String: String]> {
        struct Body: Decodable { var revision: String? }
        let body = try await request.decode(as: Body.self, context: context)
        guard let revision = body.revision else {
            await loop.pin(nil)
            return JSONAnswer(["accepted": "following the branch again"], status: .accepted, style: .pretty)
        }
        // Resolved before anything changes: only a commit of the spec repository is pinned
        // (by its id, so a branch that moves later does not move the rollback).
        let commit: String
        do {
            let loop = self.loop
            commit = try await onDedicatedThread("sluice-rollback-resolve") { try loop.resolveCommit(revision) }
        } catch {
            let refusal = error as? any SluiceError
            throw Refusal.json(["error": refusal?.message ?? "cannot resolve the revision", "hint": refusal?.hint ?? ""],
                               status: .unprocessableContent, style: .pretty)
        }
        await loop.pin(commit)
        return JSONAnswer(["accepted": "pinned to \(commit)"], status: .accepted, style: .pretty)
    }
}
