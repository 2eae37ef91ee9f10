import Hummingbird
import SluiceHTTPServer

/// `/`: the dashboard page, open; the page itself reads the status API with a token.
struct DashboardRoutes {
    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("/", use: page)
        return routes
    }

    @Sendable func page(_ request: Request, context: BasicRequestContext) -> TextAnswer {
        TextAnswer(Dashboard.html, contentType: "text/html; charset=utf-8")
    }
}
