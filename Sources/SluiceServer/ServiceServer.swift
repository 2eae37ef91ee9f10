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
    let deliveries: DeliveryLog
    let limits: ConnectionLimits

    public init(loop: ReconcileLoop, journal: Journal?, metrics: SluiceMetrics, webhooks: WebhookVerifier?, tokens: Tokens,
                deliveries: DeliveryLog = DeliveryLog(), limits: ConnectionLimits = ConnectionLimits()) {
        self.loop = loop
        self.journal = journal
        self.metrics = metrics
        self.webhooks = webhooks
        self.tokens = tokens
        self.deliveries = deliveries
        self.limits = limits
    }

    /// The largest webhook body read (GitHub caps payloads at 25 MB; pushes of specs are far smaller).
    static let maxWebhookBody = 5 << 20

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let loop = self.loop, journal = self.journal, metrics = self.metrics, webhooks = self.webhooks, tokens = self.tokens
        let deliveries = self.deliveries
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
            await loop.trigger(.api)
            return try Self.json(["accepted": "a sync round is queued"], status: .accepted)
        }
        read.post("rollback") { request, context -> Response in
            struct Body: Decodable { var revision: String? }
            let body = try await request.decode(as: Body.self, context: context)
            guard let revision = body.revision else {
                await loop.pin(nil)
                return try Self.json(["accepted": "following the branch again"], status: .accepted)
            }
            // Resolved before anything changes: only a commit of the spec repository is pinned
            // (by its id, so a branch that moves later does not move the rollback).
            let commit: String
            do {
                commit = try await onDedicatedThread("sluice-rollback-resolve") { try loop.resolveCommit(revision) }
            } catch {
                let refusal = error as? any SluiceError
                return try Self.json(["error": refusal?.message ?? "cannot resolve the revision", "hint": refusal?.hint ?? ""],
                                     status: .unprocessableContent)
            }
            await loop.pin(commit)
            return try Self.json(["accepted": "pinned to \(commit)"], status: .accepted)
        }

        router.post("webhooks/:forge") { request, context -> Response in
            // Metrics labels come from closed sets only: an unknown forge is answered untouched.
            guard let forge = context.parameters.get("forge").flatMap(WebhookVerifier.Source.init(rawValue:)) else {
                return Self.text("unknown webhook source; use /webhooks/github, /webhooks/gitlab, /webhooks/gitea or /webhooks/generic\n", status: .notFound)
            }
            guard let webhooks else { return Self.text("webhooks are not configured (no secret)\n", status: .notFound) }
            let body = try await request.body.collect(upTo: Self.maxWebhookBody)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let delivery: WebhookVerifier.Delivery
            do {
                delivery = try webhooks.verify(headers: headers, body: Array(buffer: body))
            } catch {
                metrics.recordWebhook(source: forge.rawValue, result: "rejected")
                let message = (error as? WebhookVerifier.Rejection)?.message ?? "the delivery was refused"
                return try Self.json(["error": message], status: .unauthorized)
            }
            if let id = delivery.id, !deliveries.firstSighting(of: id, from: delivery.source.rawValue) {
                metrics.recordWebhook(source: delivery.source.rawValue, result: "duplicate")
                return try Self.json(["duplicate": id], status: .ok)
            }
            metrics.recordWebhook(source: delivery.source.rawValue, result: "accepted")
            if delivery.event != "ping" { await loop.trigger(.webhook) }
            return try Self.json(["accepted": delivery.event], status: .accepted)
        }
        return router
    }

    /// Serves until the task is cancelled.
    public func run(host: String, port: Int) async throws {
        let limits = self.limits
        let guardState = ConnectionGuard.Shared(limits: limits)
        let app = Application(router: router(),
                              server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(shared: guardState)],
                                                                  idleTimeout: .nanoseconds(limits.idleTimeout.wholeNanoseconds))),
                              configuration: .init(address: .hostname(host, port: port), serverName: "sluice"))
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
