import Foundation
import Hummingbird
import NIOCore
import SluiceCore
import SluiceReport
import SluiceSync

/// The HTTP side of `sluice serve`: probes, `/metrics`, the status API, webhooks and the dashboard.
///
/// Auth: `/healthz`, `/readyz`, `/metrics` and the dashboard page are open; the API needs
/// `Authorization: Bearer <token>` with the read token (GET) or the operator token (GET and POST);
/// webhooks are verified by their signatures instead.
public struct ServiceServer: Sendable {
    public struct Tokens: Sendable {
        public var read: String?
        public var operate: String?
        public init(read: String?, operate: String?) {
            self.read = read
            self.operate = operate
        }
    }

    let loop: ReconcileLoop
    let journal: Journal?
    let metrics: SluiceMetrics
    let webhooks: WebhookVerifier?
    let tokens: Tokens

    public init(loop: ReconcileLoop, journal: Journal?, metrics: SluiceMetrics, webhooks: WebhookVerifier?, tokens: Tokens) {
        self.loop = loop
        self.journal = journal
        self.metrics = metrics
        self.webhooks = webhooks
        self.tokens = tokens
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let loop = self.loop, journal = self.journal, metrics = self.metrics, webhooks = self.webhooks, tokens = self.tokens
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            await loop.lastRound == nil ? Self.text("waiting for the first sync\n", status: .serviceUnavailable) : Self.text("ready\n")
        }
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Dashboard.html)))
        }

        let read = router.group("api/v1").add(middleware: APIAuthMiddleware(tokens: tokens))
        read.get("status") { _, _ -> Response in try Self.json(StatusDocument(await loop.snapshot())) }
        read.get("plan") { _, _ -> Response in
            guard let plan = await loop.lastRound?.plan else { return Self.text("no plan yet\n", status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: PlanReport.json(plan))))
        }
        read.get("history") { request, _ -> Response in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 200
            let cluster = request.uri.queryParameters.get("cluster")
            let records = ((try? journal?.records()) ?? []).filter { cluster == nil || $0.cluster == cluster }.suffix(max(1, min(limit, 5000)))
            return try Self.json(Array(records))
        }
        read.post("sync") { _, _ -> Response in
            await loop.trigger("api")
            return try Self.json(["accepted": "a sync round is queued"], status: .accepted)
        }
        read.post("rollback") { request, context -> Response in
            struct Body: Decodable { var revision: String? }
            let body = try await request.decode(as: Body.self, context: context)
            await loop.pin(body.revision)
            return try Self.json(["accepted": body.revision.map { "pinned to \($0)" } ?? "following the branch again"], status: .accepted)
        }

        router.post("webhooks/:forge") { request, context -> Response in
            let forge = context.parameters.get("forge") ?? "unknown"
            guard let webhooks else { return Self.text("webhooks are not configured (no secret)\n", status: .notFound) }
            let body = try await request.body.collect(upTo: 5 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let delivery: WebhookVerifier.Delivery
            do {
                delivery = try webhooks.verify(headers: headers, body: Array(buffer: body))
            } catch {
                metrics.recordWebhook(source: forge, result: "rejected")
                let message = (error as? WebhookVerifier.Rejection)?.message ?? "the delivery was refused"
                return try Self.json(["error": message], status: .unauthorized)
            }
            metrics.recordWebhook(source: delivery.source.rawValue, result: "accepted")
            if delivery.event != "ping" { await loop.trigger("webhook") }
            return try Self.json(["accepted": delivery.event], status: .accepted)
        }
        return router
    }

    /// Serves until the task is cancelled.
    public func run(host: String, port: Int) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "sluice"))
        try await app.runService()
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Read token for GET, operator token for everything; constant-time comparisons.
struct APIAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: ServiceServer.Tokens

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let sent = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? Array($0.dropFirst(7).utf8) : nil } ?? []
        let isOperator = tokens.operate.map { ConstantTime.equal(sent, Array($0.utf8)) } ?? false
        let isReader = tokens.read.map { ConstantTime.equal(sent, Array($0.utf8)) } ?? false
        guard isOperator || (isReader && request.method == .get) else {
            let status: HTTPResponse.Status = isReader ? .forbidden : .unauthorized
            let message = isReader ? "the read token cannot change anything; use the operator token" : "missing or wrong bearer token"
            return Response(status: status, headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"error":"\#(message)"}"#)))
        }
        return try await next(request, context)
    }
}
