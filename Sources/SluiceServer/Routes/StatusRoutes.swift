import Hummingbird
import SluiceCore
import SluiceHTTPServer
import SluiceReport

/// `GET status`, `plan` and `history` of the status API (mounted under `/api/v1`, behind the tokens).
struct StatusRoutes {
    let loop: ReconcileLoop
    let journal: Journal?
    let feed: StatusFeed

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("status", use: status)
        routes.get("plan", use: plan)
        routes.get("history", use: history)
        return routes
    }

    @Sendable func status(_ request: Request, context: BasicRequestContext) async -> JSONAnswer<StatusDocument> {
        JSONAnswer(await feed.document(), style: .pretty)
    }

    @Sendable func plan(_ request: Request, context: BasicRequestContext) async throws -> TextAnswer {
        guard let plan = await loop.lastRound?.plan else { throw Refusal.text("no plan yet\n", status: .notFound) }
        return TextAnswer(PlanReport.json(plan), contentType: "application/json")
    }

    /// Journal records, oldest first: the newest `limit` that match the filters, `offset` newer
    /// matches skipped (the page before); `X-Total-Count` says how many matched.
    @Sendable func history(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = max(1, min(query.get("limit", as: Int.self) ?? 200, 5000))
        let offset = max(0, query.get("offset", as: Int.self) ?? 0)
        let filter = try HistoryFilter(cluster: query.get("cluster"), job: query.get("job"), revision: query.get("revision"),
                                       since: query.get("since"), until: query.get("until"))
        let journal = self.journal
        let (page, total) = await onDedicatedThread("sluice-history") {
            let matching = ((try? journal?.records()) ?? []).filter(filter.matches)
            let end = max(0, matching.count - offset)
            return (Array(matching[max(0, end - limit)..<end]), matching.count)
        }
        var response = try JSONAnswer(page, style: .pretty).response(from: request, context: context)
        response.headers[.init("X-Total-Count")!] = "\(total)"
        return response
    }
}
