import Hummingbird
import SluiceHTTPServer

/// `/healthz` (the process answers) and `/readyz` (a first round has finished): open, for probes.
struct ProbeRoutes {
    let loop: ReconcileLoop

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("healthz", use: healthz)
        routes.get("readyz", use: readyz)
        return routes
    }

    @Sendable func healthz(_ request: Request, context: BasicRequestContext) -> String { "ok\n" }

    @Sendable func readyz(_ request: Request, context: BasicRequestContext) async throws -> TextAnswer {
        guard await loop.lastRound != nil else { throw Refusal.text("waiting for the first sync\n", status: .serviceUnavailable) }
        return TextAnswer("ready\n")
    }
}
