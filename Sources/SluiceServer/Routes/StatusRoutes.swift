import Hummingbird
import SluiceCore
import SluiceHTTPServer
import SluiceReport

/// `GET status`, `plan` and `history` of the status API (mounted under `/api/v1`, behind the tokens).
struct StatusRoutes {
    let loop: ReconcileLoop
    let journal: Journal?

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("status", use: status)
        routes.get("plan", use: plan)
        routes.get("history", use: history)
        return routes
    }

    @Sendable func status(_ request: Request, context: BasicRequestContext) async -> JSONAnswer<StatusDocument> {
        JSONAnswer(StatusDocument(await loop.snapshot()), style: .pretty)
    }

    @Sendable func plan(_ request: Request, context: BasicRequestContext) async throws -> TextAnswer {
        guard let plan = await loop.lastRound?.plan else { throw Refusal.text("no plan yet\n", status: .notFound) }
        return TextAnswer(PlanReport.json(plan), contentType: "application/json")
    }

    @Sendable func history(_ request: Request, context: BasicRequestContext) -> JSONAnswer<[JournalRecord]> {
        let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 200
        let cluster = request.uri.queryParameters.get("cluster")
        let records = ((try? journal?.records()) ?? []).filter { cluster == nil || $0.cluster == cluster }.suffix(max(1, min(limit, 5000)))
        return JSONAnswer(Array(records), style: .pretty)
    }
}
