import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SluiceHTTPServer

/// `/`: the dashboard page, open; the page itself reads the status API with a token.
struct DashboardRoutes {
    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        let page = ByteBuffer(string: Dashboard.page)
        let headers = Self.headers
        routes.get("/") { _, _ in Response(status: .ok, headers: headers, body: .init(byteBuffer: page)) }
        return routes
    }

    static let headers: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Only the page's own script and stylesheet run (by hash), it talks only to this server,
        // and no other site may frame it.
        headers[HTTPField.Name("Content-Security-Policy")!] = Self.contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return headers
    }()

    static let contentSecurityPolicy: String = {
        func hash(_ text: String) -> String { "'sha256-\(Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString())'" }
        return "default-src 'none'; script-src \(hash("\n" + Dashboard.script + "\n")); style-src \(hash("\n" + Dashboard.style + "\n")); "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }()
}
