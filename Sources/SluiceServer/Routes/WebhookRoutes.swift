import Hummingbird
import SluiceHTTPServer

/// `POST /webhooks/<forge>`: a verified push queues a round; replays are answered, not repeated.
/// Open: each delivery is verified by its signature (or token) instead of a bearer token.
struct WebhookRoutes {
    let loop: ReconcileLoop
    let webhooks: WebhookVerifier?
    let deliveries: DeliveryLog
    let metrics: SluiceMetrics

    /// The largest webhook body read (GitHub caps payloads at 25 MB; pushes of specs are far smaller).
    static let maxBody = 5 << 20

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post(":forge", use: deliver)
        return routes
    }

    @Sendable func deliver(_ request: Request, context: BasicRequestContext) async throws -> JSONAnswer<[String: String]> {
        // Metrics labels come from closed sets only: an unknown forge is answered untouched.
        guard let forge = context.parameters.get("forge").flatMap(WebhookVerifier.Source.init(rawValue:)) else {
            throw Refusal.text("unknown webhook source; use /webhooks/github, /webhooks/gitlab, /webhooks/gitea or /webhooks/generic\n", status: .notFound)
        }
        guard let webhooks else { throw Refusal.text("webhooks are not configured (no secret)\n", status: .notFound) }
        let body = try await request.body.collect(upTo: Self.maxBody)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let delivery: WebhookVerifier.Delivery
        do {
            delivery = try webhooks.verify(headers: headers, body: Array(buffer: body))
        } catch {
            metrics.recordWebhook(source: forge.rawValue, result: "rejected")
            let message = error.message
            throw Refusal.json(["error": message], status: .unauthorized, style: .pretty)
        }
        if let id = delivery.id, !deliveries.firstSighting(of: id, from: delivery.source.rawValue) {
            metrics.recordWebhook(source: delivery.source.rawValue, result: "duplicate")
            return JSONAnswer(["duplicate": id], status: .ok, style: .pretty)
        }
        metrics.recordWebhook(source: delivery.source.rawValue, result: "accepted")
        if delivery.event != "ping" { await loop.trigger(.webhook) }
        return JSONAnswer(["accepted": delivery.event], status: .accepted, style: .pretty)
    }
}
