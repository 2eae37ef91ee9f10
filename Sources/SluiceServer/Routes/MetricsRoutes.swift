import Hummingbird
import SluiceHTTPServer

/// `/metrics`: the Prometheus text exposition, open (labels come from closed sets, no secrets).
struct MetricsRoutes {
    let metrics: SluiceMetrics

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("metrics", use: exposition)
        return routes
    }

    @Sendable func exposition(_ request: Request, context: BasicRequestContext) -> TextAnswer {
        TextAnswer(metrics.exposition(), contentType: "text/plain; version=0.0.4")
    }
}
