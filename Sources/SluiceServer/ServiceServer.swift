import Foundation
import Hummingbird
import NIOCore
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceHTTPServer
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
    /// The job readings, round history and event streams of the status API.
    let feed: StatusFeed

    /// `forgeURL` (`https://github.com/org/specs`) makes commit links; `maxEventStreams` bounds `GET /api/v1/events`.
    public init(loop: ReconcileLoop, journal: Journal?, metrics: SluiceMetrics, webhooks: WebhookVerifier?, tokens: Tokens,
                deliveries: DeliveryLog = DeliveryLog(), limits: ConnectionLimits = ConnectionLimits(), forgeURL: String? = nil,
                maxEventStreams: Int = 64, heartbeatInterval: Duration = .seconds(15)) {
        feed = StatusFeed(loop: loop, journal: journal, forgeURL: forgeURL, maxSubscribers: maxEventStreams, heartbeatInterval: heartbeatInterval)
        self.loop = loop
        self.journal = journal
        self.metrics = metrics
        self.webhooks = webhooks
        self.tokens = tokens
        self.deliveries = deliveries
        self.limits = limits
    }

    /// Starts recording rounds for the status API (the timeline, events, job readings). Call it
    /// before the loop runs, or the rounds before `run` are missed; `run` calls it too.
    public func follow() async { await feed.follow() }

    /// Stops the work the status API started in the background (the job readings) and waits for
    /// it. Call it after `run` returned and the loop stopped, before the process exits.
    public func finish() async { await feed.board.stop() }

    /// Event streams (`GET /api/v1/events`) open now.
    public var eventStreams: Int { feed.events.subscriberCount }

    /// The routes, as collections: probes, metrics and the dashboard are open; status and actions
    /// are under `/api/v1` behind the tokens; webhooks under `/webhooks`, verified by signature.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.addRoutes(ProbeRoutes(loop: loop).routes)
        router.addRoutes(MetricsRoutes(metrics: metrics).routes)
        router.addRoutes(DashboardRoutes().routes)
        let api = router.group("api/v1").add(middleware: BearerTokenMiddleware(full: tokens.operate, read: tokens.read, refusals: Self.refusals))
        api.addRoutes(StatusRoutes(loop: loop, journal: journal, feed: feed).routes)
        api.addRoutes(ActionRoutes(loop: loop).routes)
        api.addRoutes(InsightRoutes(feed: feed).routes)
        api.addRoutes(EventRoutes(feed: feed).routes)
        api.addRoutes(SavepointRoutes(feed: feed).routes)
        router.addRoutes(WebhookRoutes(loop: loop, webhooks: webhooks, deliveries: deliveries, metrics: metrics).routes, atPath: "webhooks")
        return router
    }

    /// Read token for GET, operator token for everything.
    static let refusals = BearerTokenMiddleware<BasicRequestContext>.Refusals(
        unauthorized: #"{"error":"missing or wrong bearer token"}"#,
        forbidden: #"{"error":"the read token cannot change anything; use the operator token"}"#)

    /// Serves until the task is cancelled.
    public func run(host: String, port: Int) async throws {
        await feed.follow()
        defer { feed.events.finishAll() }
        let limits = self.limits
        let guardState = ConnectionGuard.Shared(limits: limits)
        let stop = ServerStop()
        var logger = Logger(label: "sluice")
        logger.handler = OrderlyStopLogHandler(base: logger.handler, stop: stop)
        let app = Application(router: router(),
                              server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(shared: guardState)],
                                                                  idleTimeout: .nanoseconds(limits.idleTimeout.wholeNanoseconds))),
                              configuration: .init(address: .hostname(host, port: port), serverName: "sluice"),
                              logger: logger)
        // As `app.runService()`, plus the marker that tells the server's log an orderly stop began.
        let group = ServiceGroup(configuration: .init(services: [app, ServerStopMarker(stop: stop)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
